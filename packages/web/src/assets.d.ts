declare module "*.css";
/** Vite's inline worker import: a constructor making the worker from a Blob URL of the bundled code. */
declare module '*?worker&inline' {
  const WorkerConstructor: new (options?: { name?: string }) => Worker;
  export default WorkerConstructor;
}
