import { opensslCiphersPortable } from '../src/index.js';
import { opensslCiphersNode } from '../src/node.js';
import { describeBackend } from './backend-suite.js';

describeBackend(opensslCiphersNode);
describeBackend(opensslCiphersPortable);
