import { opensslCiphersNode, opensslCiphersPortable } from '../src/index.js';
import { describeBackend } from './backend-suite.js';

describeBackend(opensslCiphersNode);
describeBackend(opensslCiphersPortable);
