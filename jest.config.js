export default { projects: ['<rootDir>/packages/*', '<rootDir>/tools'] };
