import { formatBytes } from '@qubes-backup/core';
import type { TreeEntry, TreeSource } from './tree-source.js';

/** What the tree asks the page to do when a person presses a file's Save button. */
export type SaveFile = (source: TreeSource, path: string, entry: TreeEntry) => void;

/**
 * Shows a TreeSource as an ARIA tree: folders open on click (their entries listed then), files
 * have a "Save" button. Each item is labelled by its name alone, so screen readers (and tests)
 * find `treeitem "notes.txt"`.
 */
export async function showTree(root: HTMLUListElement, source: TreeSource, onSave: SaveFile): Promise<void> {
  root.replaceChildren(...(await items(source, '', onSave)));
}

async function items(source: TreeSource, path: string, onSave: SaveFile): Promise<HTMLLIElement[]> {
  return (await source.list(path)).map((entry) => item(source, path === '' ? entry.name : `${path}/${entry.name}`, entry, onSave));
}

function item(source: TreeSource, path: string, entry: TreeEntry, onSave: SaveFile): HTMLLIElement {
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
    line.append(toggle);
    return li;
  }
  const name = document.createElement('span');
  name.textContent = entry.type === 'symlink' ? `${entry.name} → ${entry.target ?? ''}` : entry.name;
  line.append(name);
  if (entry.type === 'file') {
    const size = document.createElement('small');
    size.textContent = formatBytes(entry.size);
    const save = document.createElement('button');
    save.type = 'button';
    save.className = 'small';
    save.textContent = 'Save';
    save.addEventListener('click', () => onSave(source, path, entry));
    line.append(size, save);
  }
  return li;
}
