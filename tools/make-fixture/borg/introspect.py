"""Dump what a Borg 1.x reader has to decode, using borg's own Python modules.

Run with the interpreter borg itself runs under (the `#!` line of `borg`), never with another
Python: it imports the installed `borg` package. Read only: the repository is opened with
lock=False and never committed (callers run it on a scratch copy anyway).

    python3 introspect.py REPO > internals.json

Environment: BORG_PASSPHRASE, BORG_KEYS_DIR or BORG_KEY_FILE, as for borg.

Output (JSON):
  key_type          first byte of every stored object (0x02 plaintext, 0x07 authenticated, ...)
  segments          [{segment, file, entries: [[tag, id_hex|null, offset, size], ...]}]
                    every entry of every segment file in file order (PUT, DELETE, COMMIT),
                    including entries the index no longer points to
  transaction_id    the newest index.N
  manifest_history  [{segment, offset, archives}] every manifest PUT still in the segments, in
                    file order, with the archive names it lists (older ones survive in
                    append-only repositories until compaction)
  objects           [{id, roles, stored_size, compressor, inner_compressor?, payload_size}]
                    every live object (in the index), sorted by id: stored_size = bytes in the
                    segment entry's data; payload_size = bytes after decryption, compression
                    header included; compressor = what borg.compress detects on that payload
  archives          {name: {id, metadata: {...}, items: [item, ...]}}
                    metadata = the decoded archive object; items in stored order, each the
                    decoded item dict (bytes as hex strings, chunks as [id_hex, size, csize])
"""
import json
import os
import sys


def hexify(v):
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v).hex()
    if isinstance(v, dict):
        return {(k.decode('utf-8', 'surrogateescape') if isinstance(k, bytes) else str(k)): hexify(x)
                for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [hexify(x) for x in v]
    return v


def main():
    from borg.logger import setup_logging
    setup_logging(level='warning', is_serve=False, json=False)
    from borg.repository import Repository, TAG_PUT, TAG_DELETE, TAG_COMMIT
    from borg.helpers import Manifest
    from borg.archive import Archive
    from borg.compress import Compressor, ObfuscateSize
    from borg.helpers import msgpack

    tags = {TAG_PUT: 'PUT', TAG_DELETE: 'DELETE', TAG_COMMIT: 'COMMIT'}
    out = {}
    path = sys.argv[1]
    with Repository(path, lock=False) as repo:
        manifest, key = Manifest.load(repo, (Manifest.Operation.READ,))
        out['key_class'] = type(key).__name__
        out['key_type'] = key.TYPE
        out['transaction_id'] = repo.get_transaction_id()
        segs = []
        for segment, filename in repo.io.segment_iterator():
            entries = []
            for tag, kid, offset, size in repo.io.iter_objects(segment, include_data=False):
                entries.append([tags.get(tag, tag), kid.hex() if kid is not None else None, offset, size])
            segs.append({'segment': segment, 'file': os.path.relpath(filename, path), 'entries': entries})
        out['segments'] = segs

        # every manifest ever written, oldest first: what each transaction's archive list was
        history = []
        for seg in segs:
            for tag, kid, offset, size in seg['entries']:
                if tag == 'PUT' and kid == Manifest.MANIFEST_ID.hex():
                    _, _, _, data = next(repo.io.iter_objects(seg['segment'], offset, include_data=True))
                    plain = key.decrypt(None, data)
                    d = msgpack.unpackb(plain)
                    names = sorted(n.decode('utf-8', 'surrogateescape') if isinstance(n, bytes) else n
                                   for n in d[b'archives' if b'archives' in d else 'archives'])
                    history.append({'segment': seg['segment'], 'offset': offset, 'archives': names})
        out['manifest_history'] = history

        roles = {}

        def role(cid, r):
            roles.setdefault(bytes(cid), set()).add(r)

        role(Manifest.MANIFEST_ID, 'manifest')
        archives = {}
        for info in manifest.archives.list(sort_by=['ts']):
            role(info.id, 'archive')
            archive = Archive(repo, key, manifest, info.name)
            meta = {}
            for k, raw in archive.metadata.as_dict().items():
                k = k.decode() if isinstance(k, bytes) else k
                meta[k] = getattr(archive.metadata, k, raw)   # 'tam' has no property: raw dict
            for cid in archive.metadata.items:
                role(cid, 'item-metadata')
            items = []
            for item in archive.iter_items():
                p = item.path
                rec = {}
                for k in item.as_dict():
                    k = k.decode() if isinstance(k, bytes) else k
                    v = getattr(item, k)
                    if k == 'chunks':
                        rec[k] = [[bytes(c.id).hex(), c.size, c.csize] for c in v]
                        for c in v:
                            role(c.id, 'file-data')
                    else:
                        rec[k] = hexify(v)
                raw = p.encode('utf-8', 'surrogateescape')
                try:
                    raw.decode('utf-8')
                except UnicodeDecodeError:
                    rec['path_hex'] = raw.hex()
                items.append(rec)
            meta_out = hexify({k: v for k, v in meta.items() if k != 'items'})
            meta_out['items'] = [bytes(c).hex() for c in archive.metadata.items]
            archives[info.name] = {'id': bytes(info.id).hex(), 'metadata': meta_out, 'items': items}
        out['archives'] = archives

        ids = []
        marker = None
        while True:
            got = repo.list(limit=10000, marker=marker)
            if not got:
                break
            ids.extend(got)
            marker = got[-1]
        objects = []
        for oid in sorted(ids):
            cdata = repo.get(oid)
            payload = bytes(key.decrypt(oid, cdata, decompress=False))
            cls = Compressor.detect(payload)
            obj = {'id': bytes(oid).hex(), 'roles': sorted(roles.get(bytes(oid), {'unreferenced'})),
                   'stored_size': len(cdata), 'payload_size': len(payload), 'compressor': cls.name,
                   'header_hex': payload[:2].hex()}
            if cls is ObfuscateSize:
                inner_len = int.from_bytes(payload[2:6], 'big')
                inner = payload[6:6 + inner_len]
                obj['inner_compressor'] = Compressor.detect(inner).name
                obj['inner_size'] = inner_len
                obj['padding_size'] = len(payload) - 6 - inner_len
            objects.append(obj)
        out['objects'] = objects
    json.dump(out, sys.stdout, ensure_ascii=True)


if __name__ == '__main__':
    main()
