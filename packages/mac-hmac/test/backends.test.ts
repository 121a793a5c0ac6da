import { hmacMacsPortable } from '../src/index.js';
import { hmacMacsNode } from '../src/node.js';
import { describeBackend } from './backend-suite.js';

describeBackend(hmacMacsNode);
describeBackend(hmacMacsPortable);
