// Every format-3 backup in ../shared/fixtures restores byte-identical; a tampered one fails.
import { formatV3 } from '@qubes-backup/format-v3';
import { describeSharedFixtures } from '@qubes-backup/testkit';

describeSharedFixtures(formatV3, { version: 3, tamper: { backup: 'qubes/v3-encrypted-gzip', chunk: 'vm5/private.img.000' } });
