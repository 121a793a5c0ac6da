export default { projects: ['<rootDir>/packages/*'] };
