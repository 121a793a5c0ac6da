/** The page's small action button (a table row's "Save private.img", a tree entry's "Save"), labelled by its text. */
export function smallButton(label: string, onClick: () => void): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'small';
  b.textContent = label;
  b.addEventListener('click', onClick);
  return b;
}
