import { scryptCipherNode, scryptMacNode } from '../src/node.js';
import { scryptCipherPortable, scryptMacPortable } from '../src/index.js';
import { describeBackend } from './backend-suite.js';

describeBackend({ cipher: scryptCipherNode, mac: scryptMacNode });
describeBackend({ cipher: scryptCipherPortable, mac: scryptMacPortable });
