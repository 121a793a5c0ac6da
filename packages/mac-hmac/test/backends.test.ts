import { hmacMacsNode, hmacMacsPortable } from '../src/index.js';
import { describeBackend } from './backend-suite.js';

describeBackend(hmacMacsNode);
describeBackend(hmacMacsPortable);
