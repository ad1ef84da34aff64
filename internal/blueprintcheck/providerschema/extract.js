// Extracts the configuration schema the blueprint uses from the prebuilt CDKTF provider packages
// (their generated JavaScript maps every argument and nested block to its Terraform name), so the
// blueprint can be checked against the real provider schemas without downloading any provider.
//
//   npm pack @cdktf/provider-aws@21.22.1 @cdktf/provider-kubernetes@12.1.1 @cdktf/provider-tls@11.0.1 @cdktf/provider-helm@12.1.2
//   for f in *.tgz; do mkdir -p "${f%.tgz}" && tar -xzf "$f" -C "${f%.tgz}"; done
//   node internal/blueprintcheck/providerschema/extract.js <repo root> <unpacked dir>... \
//     > internal/blueprintcheck/testdata/provider-schema.json
//
// Only the resource and data source types used under modules/ and stacks/ are kept.
'use strict';
const fs = require('fs');
const path = require('path');

const [root, ...pkgs] = process.argv.slice(2);
if (!root || pkgs.length === 0) {
  console.error('usage: node extract.js <repo root> <unpacked provider package dir>...');
  process.exit(2);
}

// Types the blueprint uses.
const used = { resource: new Set(), data: new Set() };
const walk = (dir) => {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory() && !e.name.startsWith('.')) walk(p);
    else if (e.name.endsWith('.tf')) {
      for (const m of fs.readFileSync(p, 'utf8').matchAll(/^(resource|data) "([a-z0-9_]+)"/gm)) used[m[1]].add(m[2]);
    }
  }
};
walk(path.join(root, 'modules'));
walk(path.join(root, 'stacks'));

const schema = { provider_packages: [], resource: {}, data: {}, structs: {}, struct_required: {} };
const interfaces = {}; // dir -> interface name -> {camelProp: required}
const requiredOf = (props, camels) => Object.keys(camels || {}).filter((snake) => props[camels[snake]]).sort();
const structInterface = (id) => {
  const [dir, fn] = id.split(':');
  return (interfaces[dir] || {})[fn.charAt(0).toUpperCase() + fn.slice(1)] || {};
};
const structID = (ref) => ref.replace(/^(block|object):/, '');
const allStructs = {};
const pending = [];

// parseAttrs reads the `name: { value: <expr>, isBlock: <bool>, ... }` entries of a generated
// `const attrs = { ... }` object. A value built by another <X>ToHclTerraform function is nested: a
// block ("block:<struct id>") or an object-typed attribute ("object:<struct id>"); plain attributes
// map to null.
const camelOf = {}; // "<struct id or type>" -> {snake: camel}
const parseAttrs = (dir, body, owner) => {
  const out = {};
  const camels = (camelOf[owner] = {});
  for (const m of body.matchAll(/^\s+([a-z0-9_]+): \{\s*\n\s*value: (.*),\s*\n\s*isBlock: (true|false),/gm)) {
    const cm = m[2].match(/(?:struct|this)\??\.[_]?([A-Za-z0-9]+)/);
    if (cm) camels[m[1]] = cm[1];
    let ref = null;
    for (const f of m[2].matchAll(/(?:^|[(,\s])([A-Za-z0-9_]+)ToHclTerraform\b/g)) {
      if (!/^(string|number|boolean|hashMapperHcl|listMapperHcl|any|date)$/.test(f[1])) ref = dir + ':' + f[1];
    }
    out[m[1]] = ref ? (m[3] === 'true' ? 'block:' : 'object:') + ref : null;
  }
  return out;
};

for (const pkg of pkgs) {
  const meta = JSON.parse(fs.readFileSync(path.join(pkg, 'package', 'package.json'), 'utf8'));
  schema.provider_packages.push(meta.name + '@' + meta.version);
  const lib = path.join(pkg, 'package', 'lib');
  for (const dir of fs.readdirSync(lib)) {
    const file = path.join(lib, dir, 'index.js');
    if (!fs.existsSync(file)) continue;
    const src = fs.readFileSync(file, 'utf8');
    const tm = src.match(/\.tfResourceType = "([^"]+)"/);
    if (!tm) continue;
    const kind = dir.startsWith('data-') ? 'data' : 'resource';
    // Interfaces of the .d.ts: which properties are required (no "?").
    const dts = path.join(lib, dir, 'index.d.ts');
    interfaces[dir] = {};
    if (fs.existsSync(dts)) {
      for (const im of fs.readFileSync(dts, 'utf8').matchAll(/export interface ([A-Za-z0-9_]+)[^{]*\{([\s\S]*?)\n\}/g)) {
        const props = {};
        for (const pm of im[2].matchAll(/^    readonly ([A-Za-z0-9_]+)(\??):/gm)) props[pm[1]] = pm[2] !== '?';
        interfaces[dir][im[1]] = props;
      }
    }
    for (const chunk of src.split('\nfunction ').slice(1)) {
      const hm = chunk.match(/^([A-Za-z0-9_]+)ToHclTerraform\(struct\) \{/);
      if (!hm) continue;
      const end = chunk.indexOf('\n}');
      const rm = chunk.slice(0, end >= 0 ? end : undefined).match(/const attrs = \{([\s\S]*?)\n    \};/);
      allStructs[dir + ':' + hm[1]] = rm ? parseAttrs(dir, rm[1], dir + ':' + hm[1]) : {};
    }
    if (!used[kind].has(tm[1])) continue;
    const sm = src.match(/synthesizeHclAttributes\(\) \{\s*const attrs = \{([\s\S]*?)\n        \};/);
    const cls = src.slice(src.indexOf('extends cdktf.Terraform'));
    const readable = new Set();
    for (const g of cls.matchAll(/get[A-Za-z]*Attribute\('([a-z0-9_]+)'\)|interpolationForAttribute\('([a-z0-9_]+)'\)|new [A-Za-z0-9_]+\(this, "([a-z0-9_]+)"/g)) {
      readable.add(g[1] || g[2] || g[3]);
    }
    const args = sm ? parseAttrs(dir, sm[1], tm[1]) : {};
    const cfg = (interfaces[dir] || {})[(src.match(/constructor\(scope, id, config(?: = \{\})?\)/) && (src.match(/@param options ([A-Za-z0-9_]+)/) || [])[1]) || ''] || {};
    schema[kind][tm[1]] = { arguments: args, attributes: [...readable].sort(), required: requiredOf(cfg, camelOf[tm[1]]) };
    pending.push(...Object.values(args).filter(Boolean).map(structID));
  }
}

// Keep only the nested structs reachable from the kept types.
while (pending.length) {
  const id = pending.pop();
  if (schema.structs[id] || !allStructs[id]) continue;
  schema.structs[id] = allStructs[id];
  const req = requiredOf(structInterface(id), camelOf[id]);
  if (req.length) schema.struct_required[id] = req;
  pending.push(...Object.values(allStructs[id]).filter(Boolean).map(structID));
}

for (const kind of ['resource', 'data']) {
  for (const t of used[kind]) {
    if (!schema[kind][t] && t !== 'terraform_remote_state') console.error(`warning: ${kind} ${t} is in no given package`);
  }
}
const sortKeys = (o) => (o && typeof o === 'object' && !Array.isArray(o))
  ? Object.fromEntries(Object.keys(o).sort().map((k) => [k, sortKeys(o[k])])) : o;
process.stdout.write(JSON.stringify(sortKeys(schema), null, 1) + '\n');
