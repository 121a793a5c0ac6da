import { formatBytes } from '@qubes-backup/core';
import { smallButton } from './small-button.js';
import type { TreeEntry, TreeSource } from './tree-source.js';

/** What the tree asks the page to do when a person presses an entry's Save button. */
export type SaveEntry = (source: TreeSource, path: string, entry: TreeEntry) => void;

/** A file's "Save" saves the file; a folder's "Save as .zip" saves its whole subtree as one zip. */
export interface SaveActions {
  readonly file: SaveEntry;
  readonly folder: SaveEntry;
}

/**
 * Shows a TreeSource as an ARIA tree: folders open on click (their entries listed then) and have a
 * "Save as .zip" button, files have a "Save" button. Each item is labelled by its name alone, so
 * screen readers (and tests) find `treeitem "notes.txt"`.
 */
export async function showTree(root: HTMLUListElement, source: TreeSource, onSave: SaveActions): Promise<void> {
  root.replaceChildren(...(await items(source, '', onSave)));
}

async function items(source: TreeSource, path: string, onSave: SaveActions): Promise<HTMLLIElement[]> {
  return (await source.list(path)).map((entry) => item(source, path === '' ? entry.name : `${path}/${entry.name}`, entry, onSave));
}

function item(source: TreeSource, path: string, entry: TreeEntry, onSave: SaveActions): HTMLLIElement {
  const li = document.createElement('li');
  li.setAttribute('role', 'treeitem');
  li.setAttribute('aria-label', entry.name);
  const line = document.createElement('span');
  line.className = 'entry';
  li.append(line);
  if (entry.type === 'dir') {
    li.setAttribute('aria-expanded', 'false');
    const toggle = document.createElement('button');
    toggle.type = 'button';
    toggle.className = 'link';
    toggle.textContent = `▸ ${entry.name}`;
    let group: HTMLUListElement | undefined;
    toggle.addEventListener('click', () => void (async () => {
      if (group) {
        group.remove();
        group = undefined;
        li.setAttribute('aria-expanded', 'false');
        toggle.textContent = `▸ ${entry.name}`;
        return;
      }
      group = document.createElement('ul');
      group.setAttribute('role', 'group');
      li.append(group);
      li.setAttribute('aria-expanded', 'true');
      toggle.textContent = `▾ ${entry.name}`;
      group.append(...(await items(source, path, onSave)));
    })());
    // After the toggle: the toggle stays the item's first button, the one that opens it.
    line.append(toggle, smallButton('Save as .zip', () => onSave.folder(source, path, entry)));
    return li;
  }
  const name = document.createElement('span');
  name.textContent = entry.type === 'symlink' ? `${entry.name} → ${entry.target ?? ''}` : entry.name;
  line.append(name);
  if (entry.type === 'file') {
    const size = document.createElement('small');
    size.textContent = formatBytes(entry.size);
    line.append(size, smallButton('Save', () => onSave.file(source, path, entry)));
  }
  return li;
}
