// Every format-2 backup in ../shared/fixtures restores byte-identical; a tampered one fails.
import { formatV2 } from '@qubes-backup/format-v2';
import { describeSharedFixtures } from '@qubes-backup/testkit';

describeSharedFixtures(formatV2, { version: 2, tamper: { backup: 'qubes/v2-encrypted-multivolume', chunk: 'vm5/private.img.001' } });
