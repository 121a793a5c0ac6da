import { scryptCipherNode, scryptCipherPortable, scryptMacNode, scryptMacPortable } from '../src/index.js';
import { describeBackend } from './backend-suite.js';

describeBackend({ cipher: scryptCipherNode, mac: scryptMacNode });
describeBackend({ cipher: scryptCipherPortable, mac: scryptMacPortable });
