// nx release's version actions for our npm workspace packages, named by release.version.versionActions
// in nx.json. nx 24's default, @nx/js/src/release/version-actions, needs an @nx/js 24 that is not on
// the npm registry (it stops at 23.3.1), and we use nx core without plugins. CommonJS because nx loads
// it with require() and the repository is "type": "module".
//
// What it does: a released package's version is read from and written to its package.json; every
// package that depends on a released package gets the new version as its range (we use exact
// versions between our packages). After all projects are versioned, the manifests nx does not
// version (the root package.json and the private packages: testkit, web) get the same ranges, then
// `npm install --package-lock-only` brings package-lock.json in step, so `npm ci` keeps working.
'use strict';
const { execFileSync } = require('node:child_process');
const { existsSync, readFileSync, readdirSync, writeFileSync } = require('node:fs');
const { join, posix } = require('node:path');
const { VersionActions } = require('nx/release');

const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'];

/** Package name → new version, for every project this run versioned (dry runs too: nx calls us on its in-memory tree). */
const newVersions = new Map();

const readJsonFromTree = (tree, path) => {
  const text = tree.read(path, 'utf-8');
  if (text === null) throw new Error(`${path} does not exist`);
  return JSON.parse(text);
};
const stringify = (json) => `${JSON.stringify(json, null, 2)}\n`;

/** Sets each dependency on a package in `versions` to its version; returns what changed, as "name: old -> new". */
function setRanges(json, versions) {
  const changed = [];
  for (const field of DEPENDENCY_FIELDS) {
    for (const [name, range] of Object.entries(json[field] ?? {})) {
      const version = versions.get(name);
      if (version === undefined || range === version) continue;
      if (range.startsWith('file:') || range.startsWith('workspace:')) continue;
      json[field][name] = version;
      changed.push(`${name}: ${range} -> ${version}`);
    }
  }
  return changed;
}

class NpmWorkspaceVersionActions extends VersionActions {
  validManifestFilenames = ['package.json'];

  packageName(projectGraph, projectName) {
    return projectGraph.nodes[projectName]?.data.metadata?.js?.packageName ?? projectName;
  }

  async readCurrentVersionFromSourceManifest(tree) {
    const manifestPath = posix.join(this.projectGraphNode.data.root, 'package.json');
    const { version } = readJsonFromTree(tree, manifestPath);
    if (typeof version !== 'string') throw new Error(`${manifestPath} has no "version"`);
    return { currentVersion: version, manifestPath };
  }

  async readCurrentVersionFromRegistry() {
    // Not offered: release.version.currentVersionResolver is "disk" (nx then says this resolver is unsupported).
    return null;
  }

  async readCurrentVersionOfDependency(tree, projectGraph, dependencyProjectName) {
    const json = readJsonFromTree(tree, posix.join(this.projectGraphNode.data.root, 'package.json'));
    const name = this.packageName(projectGraph, dependencyProjectName);
    for (const field of DEPENDENCY_FIELDS) {
      if (json[field]?.[name] !== undefined) return { currentVersion: json[field][name], dependencyCollection: field };
    }
    return { currentVersion: null, dependencyCollection: null };
  }

  async updateProjectVersion(tree, newVersion) {
    const logs = [];
    for (const { manifestPath } of this.manifestsToUpdate) {
      const json = readJsonFromTree(tree, manifestPath);
      json.version = newVersion;
      tree.write(manifestPath, stringify(json));
      newVersions.set(json.name, newVersion);
      logs.push(`✍️  New version ${newVersion} written to manifest: ${manifestPath}`);
    }
    return logs;
  }

  async updateProjectDependencies(tree, projectGraph, dependenciesToUpdate) {
    const versions = new Map(
      Object.entries(dependenciesToUpdate).map(([project, version]) => [this.packageName(projectGraph, project), version]),
    );
    if (versions.size === 0) return [];
    const logs = [];
    for (const { manifestPath } of this.manifestsToUpdate) {
      const json = readJsonFromTree(tree, manifestPath);
      const changed = setRanges(json, versions);
      if (changed.length === 0) continue;
      tree.write(manifestPath, stringify(json));
      logs.push(`✍️  Updated ${changed.length} ${changed.length === 1 ? 'dependency' : 'dependencies'} in manifest: ${manifestPath}`);
    }
    return logs;
  }
}

/** The workspace's package.json files (root first), from the root package.json's "workspaces" globs of the form dir/*. */
function workspaceManifests(cwd) {
  const root = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8'));
  const out = ['package.json'];
  for (const pattern of root.workspaces ?? []) {
    const dir = pattern.replace(/\/\*$/, '');
    if (dir === pattern || dir.includes('*')) throw new Error(`workspace pattern "${pattern}" is not of the form dir/*`);
    for (const entry of readdirSync(join(cwd, dir), { withFileTypes: true })) {
      const path = posix.join(dir, entry.name, 'package.json');
      if (entry.isDirectory() && existsSync(join(cwd, path))) out.push(path);
    }
  }
  return out;
}

/**
 * Runs once after every project is versioned (its files are on disk then, unless this is a dry run):
 * the manifests nx left alone get the new ranges, and package-lock.json is refreshed.
 */
async function afterAllProjectsVersioned(cwd, { dryRun, verbose }) {
  const changedFiles = [];
  if (newVersions.size === 0) return { changedFiles, deletedFiles: [] };
  for (const path of workspaceManifests(cwd)) {
    const json = JSON.parse(readFileSync(join(cwd, path), 'utf8'));
    if (newVersions.has(json.name)) continue; // versioned by nx above, dependencies included
    const changed = setRanges(json, newVersions);
    if (changed.length === 0) continue;
    console.log(`${dryRun ? 'Would update' : 'Updated'} ${path} (not released itself): ${changed.join(', ')}`);
    if (dryRun) continue;
    writeFileSync(join(cwd, path), stringify(json));
    changedFiles.push(path);
  }
  if (existsSync(join(cwd, 'package-lock.json'))) {
    const args = ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'];
    if (dryRun) {
      console.log(`Would run: npm ${args.join(' ')}`);
    } else {
      execFileSync('npm', args, { cwd, stdio: verbose ? 'inherit' : ['ignore', 'ignore', 'inherit'], env: { ...process.env, npm_config_update_notifier: 'false' } });
      console.log('Updated package-lock.json (npm install --package-lock-only)');
      changedFiles.push('package-lock.json');
    }
  }
  return { changedFiles, deletedFiles: [] };
}

module.exports = NpmWorkspaceVersionActions;
module.exports.default = NpmWorkspaceVersionActions;
module.exports.afterAllProjectsVersioned = afterAllProjectsVersioned;
