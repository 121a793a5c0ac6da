// This package's own test helpers; the shared ones come from @qubes-backup/testkit.
import { fixtureReader } from '@qubes-backup/testkit';

export const fixture = fixtureReader(new URL('./fixtures/', import.meta.url));
