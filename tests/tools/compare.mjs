#!/usr/bin/env node
// compare.mjs — the raw layer of a run against its SQLite source, value by value.
//
//   node compare.mjs --db SOURCE.db (or --sqlite) --lake LAKE [--config snaplake.yml] [--run RUN_ID]
//                    [--readers duckdb,pqread,arrow] [--tables a,b] [--label NAME] [--max-show N]
//
// For every raw dataset of the run's manifest (LAKE/_snaplake/runs/RUN.json;
// RUN defaults to LAKE/_snaplake/current):
//   schema    the part files (pqread --schema) have the manifest's columns, in
//             order, with the Parquet types of the mapping (writer.h), REQUIRED
//             exactly for non-nullable columns, and the manifest's row counts;
//             when the manifest lists files[] {path, rows, bytes, crc32}, the
//             run folder holds exactly those files with those rows, sizes and
//             CRC-32s;
//   pqread    every part file, in part order, read by hyparquet (pqread.mjs);
//   arrow     the same files read by arrow-rs through parquet-wasm
//             (pqread_arrow.mjs), and "arrow-schema": the Arrow type arrow-rs
//             derives for each column from the file (Decimal128(p,s),
//             Timestamp(us) with UTC exactly for timestamptz, …), its
//             nullability, field id (position + 1) and the key-value metadata
//             (snaplake.source_types: each column's source_type of the
//             manifest; snaplake.run_id: RUN);
//   duckdb    `$SNAPLAKE query -c CONFIG --format json` on the catalog's view
//             raw."<name>" when RUN is the published run (read_parquet over the
//             run folder otherwise), relying on DuckDB's insertion order;
//             text and blobs are selected as hex, TIMESTAMPTZ cast to VARCHAR
//             (see duckRows);
// each compared with the source read by the sqlite3 CLI in rowid order (table
// order for WITHOUT ROWID tables, as the exporter reads them).  Values are
// brought to one canonical text form per the column's mapped type (see
// pqread.mjs): exact decimals with `scale` digits, timestamps in UTC with six
// fractional digits, doubles from their exact IEEE bits, blobs as lowercase hex.
//
// Prints "PASS <label>:<table>:<check>" / "FAIL …" lines, the first mismatches
// under each FAIL (table, column, row, the three values).  Exit 0 when all
// passed, 1 otherwise, 2 on usage errors.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { crc32 } from 'node:zlib'
import { fileURLToPath } from 'node:url'
import { canonDouble, decimalText, daysFromCivil, readParquet, parquetSchemaOf, timestampText } from './pqread.mjs'

const here = dirname(fileURLToPath(import.meta.url))

function usage(msg) {
  process.stderr.write(`compare.mjs: ${msg}\nusage: node compare.mjs --db DB --lake LAKE [--config CFG] [--run RUN] [--readers duckdb,pqread,arrow] [--tables a,b] [--label L]\n`)
  process.exit(2)
}

const opt = { readers: 'duckdb,pqread,arrow', label: 'compare', 'max-show': '5' }
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i]
  if (!a.startsWith('--') || i + 1 >= process.argv.length) usage(`bad argument ${a}`)
  opt[a.slice(2)] = process.argv[++i]
}
opt.db ??= opt.sqlite // --sqlite DB is accepted too
if (!opt.db || !opt.lake) usage('--db and --lake are required')
const readers = opt.readers.split(',').filter(Boolean)
if (readers.includes('duckdb') && !opt.config) usage('the duckdb reader needs --config')
// Loaded only when asked for, so the other readers work without parquet-wasm.
const arrowReader = readers.includes('arrow') ? await import('./pqread_arrow.mjs') : null
const maxShow = Number(opt['max-show'])
const label = opt.label
const snaplake = process.env.SNAPLAKE || join(here, '../../build/snaplake')

let failures = 0
function pass(name) {
  console.log(`PASS ${label}:${name}`)
}
function fail(name, details = []) {
  failures++
  console.log(`FAIL ${label}:${name}`)
  for (const d of details) console.log(`    ${d}`)
}

// ---- canonical forms ----------------------------------------------------

const utf8 = new TextDecoder('utf-8', { fatal: true })
function hexToText(h) {
  try {
    return utf8.decode(Buffer.from(h, 'hex'))
  } catch {
    return `<invalid utf-8 ${h}>`
  }
}
function bitsToDouble(h) {
  return Buffer.from(h, 'hex').readDoubleBE(0)
}

// "[+-]digits[.digits][e[+-]digits]" → decimal text with exactly `scale`
// digits, or an <ERR …> marker when it does not fit exactly.
export function decimalCanon(text, precision, scale) {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim())
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return `<ERR not a decimal: ${text}>`
  let digits = m[2] + (m[3] ?? '')
  let exp = Number(m[4] ?? 0) - (m[3] ?? '').length // value = digits * 10^exp
  let unscaled = BigInt(digits || '0')
  const shift = exp + scale
  if (shift >= 0) unscaled *= 10n ** BigInt(shift)
  else {
    const d = 10n ** BigInt(-shift)
    if (unscaled % d !== 0n) return `<ERR more than ${scale} fractional digits: ${text}>`
    unscaled /= d
  }
  if (m[1] === '-') unscaled = -unscaled
  const abs = unscaled < 0n ? -unscaled : unscaled
  if (precision && abs >= 10n ** BigInt(precision)) return `<ERR more than ${precision} digits: ${text}>`
  return decimalText(unscaled, scale)
}

// A timestamp text (SQLite source or DuckDB output) → UTC "YYYY-MM-DD HH:MM:SS.ffffff".
export function timestampCanon(text) {
  const m = /^(-?\d{4,})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d*))?)?)?\s*(?:(Z|UTC)|([+-])(\d{2}):?(\d{2})?(?::?(\d{2}))?)?$/i.exec(text.trim())
  if (!m) return `<ERR not a timestamp: ${text}>`
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = ''] = m
  if (frac.length > 6 && /[1-9]/.test(frac.slice(6))) return `<ERR sub-microsecond: ${text}>`
  const days = daysFromCivil(Number(y), Number(mo), Number(d))
  let us = BigInt(days) * 86400000000n + BigInt((Number(h) * 3600 + Number(mi) * 60 + Number(s)) * 1e6) + BigInt((frac + '000000').slice(0, 6))
  if (m[9]) {
    const off = (Number(m[10]) * 3600 + Number(m[11] ?? 0) * 60 + Number(m[12] ?? 0)) * 1e6
    us += m[9] === '+' ? -BigInt(off) : BigInt(off)
  }
  return timestampText(us)
}

function duckDouble(t) {
  const l = t.toLowerCase()
  if (l === 'nan' || l === '-nan') return 'nan'
  if (l === 'inf' || l === 'infinity') return 'inf'
  if (l === '-inf' || l === '-infinity') return '-inf'
  const x = Number(t)
  return Number.isNaN(x) ? `<ERR not a number: ${t}>` : canonDouble(x)
}

// One source value (storage class, exact value, SQLite's own text of it) in
// the canonical form of the column's mapped type.
function sqliteCanon(col, cls, v, s) {
  if (cls === 'null') return null
  switch (col.type) {
    case 'int64':
    case 'int32':
    case 'int16':
      if (cls === 'integer') return v
      if (cls === 'real') {
        const d = bitsToDouble(v)
        return Number.isInteger(d) ? BigInt(d).toString() : `<ERR real ${d}>`
      }
      return `<ERR ${cls} in ${col.type}>`
    case 'double':
    case 'float':
      if (cls === 'real') return canonDouble(bitsToDouble(v))
      if (cls === 'integer') return canonDouble(Number(BigInt(v)))
      return `<ERR ${cls} in double>`
    case 'boolean':
      if (cls === 'integer' && (v === '0' || v === '1')) return v === '1' ? 'true' : 'false'
      return `<ERR ${cls} ${v} in boolean>`
    case 'decimal':
      if (cls === 'blob') return '<ERR blob in decimal>'
      return decimalCanon(hexToText(s), col.precision, col.scale)
    case 'date':
      return cls === 'text' ? hexToText(s) : `<ERR ${cls} in date>`
    case 'timestamp':
    case 'timestamptz':
      return cls === 'text' ? timestampCanon(hexToText(s)) : `<ERR ${cls} in timestamp>`
    case 'string':
    case 'json':
      return cls === 'blob' ? '<ERR blob in text>' : hexToText(s)
    case 'binary':
      return cls === 'blob' || cls === 'text' ? v.toLowerCase() : `<ERR ${cls} in binary>`
    default:
      return `<ERR unknown type ${col.type}>`
  }
}

function duckCanon(col, t) {
  if (t === null) return null
  switch (col.type) {
    case 'double':
    case 'float':
      return duckDouble(t)
    case 'timestamp':
    case 'timestamptz':
      return timestampCanon(t)
    case 'binary':
      return t.toLowerCase()
    case 'string':
    case 'json':
      return hexToText(t)
    default:
      return t
  }
}

// ---- sources of values ------------------------------------------------------

function sqliteJson(db, sql) {
  const r = spawnSync('sqlite3', ['-readonly', '-json', db, sql], { maxBuffer: 1 << 30, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`sqlite3 failed (${r.error ? r.error.message : r.status}): ${r.stderr || ''}\n  SQL: ${sql}`)
  return r.stdout.trim() ? JSON.parse(r.stdout) : []
}

const qi = s => '"' + s.replaceAll('"', '""') + '"'
const ql = s => "'" + s.replaceAll("'", "''") + "'"

function sqliteRows(db, table, cols) {
  const info = sqliteJson(db, `SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ${ql(table)}`)
  if (!info.length) throw new Error(`source has no table ${table}`)
  const withoutRowid = /WITHOUT\s+ROWID\s*;?\s*$/i.test(info[0].sql)
  const names = sqliteJson(db, `SELECT name FROM pragma_table_info(${ql(table)})`).map(r => r.name.toLowerCase())
  const rid = withoutRowid ? null : ['rowid', '_rowid_', 'oid'].find(n => !names.includes(n))
  const sel = cols
    .map((c, i) => {
      const q = qi(c.source_name)
      return `typeof(${q}) AS t${i}, CASE typeof(${q}) WHEN 'real' THEN hex(ieee754_to_blob(${q})) WHEN 'integer' THEN CAST(${q} AS TEXT) ELSE hex(${q}) END AS v${i}, hex(CAST(${q} AS TEXT)) AS s${i}`
    })
    .join(', ')
  const rows = sqliteJson(db, `SELECT ${sel} FROM ${qi(table)}${rid ? ` ORDER BY ${rid}` : ''}`)
  return rows.map(r => cols.map((c, i) => sqliteCanon(c, r[`t${i}`], r[`v${i}`], r[`s${i}`])))
}

function duckRows(ds, cols, published) {
  // Values as `snaplake query` prints them, but for three types whose printing
  // is not the point here (and is checked apart in types.sh): blobs as hex,
  // text as the hex of its UTF-8 (a C string would end at a NUL byte), and
  // TIMESTAMPTZ cast to VARCHAR (DuckDB's text with the session's offset).
  const expr = c => {
    const q = qi(c.name)
    if (c.type === 'binary') return `lower(hex(${q}))`
    if (c.type === 'string' || c.type === 'json') return `hex(CAST(${q} AS VARCHAR))`
    if (c.type === 'timestamptz') return `CAST(${q} AS VARCHAR)`
    return q
  }
  // Every value as DuckDB's text (--format json keeps numbers as numbers).
  const sel = cols.map((c, i) => `CAST(${expr(c)} AS VARCHAR) AS c${i}`).join(', ')
  const from = published ? `raw.${qi(ds.name)}` : `read_parquet(${ql(join(opt.lake, ds.location, '*.parquet'))})`
  const sql = `SELECT ${sel} FROM ${from}`
  const r = spawnSync(snaplake, ['query', '-c', opt.config, '--format', 'json', sql], { maxBuffer: 1 << 30, encoding: 'utf8' })
  if (r.status !== 0)
    throw new Error(`snaplake query failed (${r.error ? r.error.message : r.signal ? `signal ${r.signal}` : `exit ${r.status}`}): ${(r.stderr || '').trim()}\n  SQL: ${sql}`)
  return JSON.parse(r.stdout).map(o => cols.map((c, i) => duckCanon(c, o[`c${i}`])))
}

function partFiles(ds) {
  const dir = join(opt.lake, ds.location)
  return readdirSync(dir)
    .map(f => /^part-(\d+)\.parquet$/.exec(f))
    .filter(Boolean)
    .sort((a, b) => Number(a[1]) - Number(b[1]))
    .map(m => join(dir, m[0]))
}

async function pqRows(files, cols) {
  const out = []
  for (const f of files) for (const r of await readParquet(f)) out.push(cols.map(c => r[c.name]))
  return out
}

async function arrowRows(files, cols) {
  const out = []
  for (const f of files) for (const r of await arrowReader.readParquetArrow(f)) out.push(cols.map(c => r[c.name]))
  return out
}

// ---- checks -----------------------------------------------------------------

// The Arrow type arrow-rs should derive from the column's Parquet types.
function expectedArrow(c) {
  switch (c.type) {
    case 'boolean': return ['Bool']
    case 'int64': return ['Int64']
    case 'int32': return ['Int32']
    case 'int16': return ['Int16']
    case 'double': return ['Float64']
    case 'float': return ['Float32']
    case 'decimal': return [`Decimal(${c.precision},${c.scale})`]
    case 'string': case 'json': return ['Utf8']
    case 'binary': return ['Binary']
    case 'date': return ['Date32<DAY>']
    case 'timestamp': return ['Timestamp<MICROSECOND>']
    case 'timestamptz': return ['Timestamp<MICROSECOND, UTC>', 'Timestamp<MICROSECOND, +00:00>']
    default: return ['?']
  }
}

function arrowSchemaProblems(cols, run, schemas) {
  const probs = []
  for (const { file, schema } of schemas) {
    const names = schema.columns.map(c => c.name)
    if (names.join('\u0000') !== cols.map(c => c.name).join('\u0000'))
      probs.push(`${file}: arrow-rs columns ${JSON.stringify(names)}, manifest ${JSON.stringify(cols.map(c => c.name))}`)
    schema.columns.forEach((ac, i) => {
      const c = cols[i]
      if (!c) return
      const want = expectedArrow(c)
      const got = ac.precision === undefined ? ac.type : `Decimal(${ac.precision},${ac.scale})`
      if (!want.includes(got)) probs.push(`${c.name}: arrow-rs reads ${got}, expected ${want.join(' or ')} for ${c.type}`)
      if (ac.nullable !== c.nullable) probs.push(`${c.name}: arrow-rs nullable=${ac.nullable}, manifest nullable=${c.nullable}`)
      if (ac.field_id !== i + 1) probs.push(`${c.name}: arrow-rs field id ${ac.field_id}, expected ${i + 1}`)
    })
    const kv = schema.key_value_metadata
    let types = null
    try {
      types = JSON.parse(kv['snaplake.source_types'])
    } catch {}
    // column name → declared source type, as the manifest has them; an
    // untyped column's is its mapped type's name (writer.c).
    const want = JSON.stringify(Object.fromEntries(cols.map(c => [c.name, c.source_type || c.type])))
    if (!types || JSON.stringify(types) !== want)
      probs.push(`${file}: snaplake.source_types ${kv['snaplake.source_types']}, manifest ${want}`)
    if (kv['snaplake.run_id'] !== run) probs.push(`${file}: snaplake.run_id ${kv['snaplake.run_id']}, run ${run}`)
  }
  return probs
}

function expectedParquet(c) {
  switch (c.type) {
    case 'boolean': return { physical: 'BOOLEAN' }
    case 'int64': return { physical: 'INT64' }
    case 'int32': case 'int16': return { physical: 'INT32' }
    case 'double': return { physical: 'DOUBLE' }
    case 'float': return { physical: 'FLOAT' }
    case 'decimal': return { physical: c.precision <= 9 ? 'INT32' : c.precision <= 18 ? 'INT64' : 'FIXED_LEN_BYTE_ARRAY', logical: 'DECIMAL' }
    case 'string': return { physical: 'BYTE_ARRAY', logical: 'STRING' }
    case 'json': return { physical: 'BYTE_ARRAY', logical: 'JSON' }
    case 'binary': return { physical: 'BYTE_ARRAY', logical: null }
    case 'date': return { physical: 'INT32', logical: 'DATE' }
    case 'timestamp': return { physical: 'INT64', logical: 'TIMESTAMP', utc: false }
    case 'timestamptz': return { physical: 'INT64', logical: 'TIMESTAMP', utc: true }
    default: return { physical: '?' }
  }
}

function schemaProblems(ds, cols, schemas) {
  const probs = []
  schemas.forEach(({ file, schema }) => {
    const names = schema.columns.map(c => c.name)
    if (names.join('\u0000') !== cols.map(c => c.name).join('\u0000'))
      probs.push(`${file}: columns ${JSON.stringify(names)}, manifest ${JSON.stringify(cols.map(c => c.name))}`)
    schema.columns.forEach((pc, i) => {
      const c = cols[i]
      if (!c) return
      const e = expectedParquet(c)
      const lt = pc.logical_type?.type ?? null
      if (pc.physical_type !== e.physical) probs.push(`${c.name}: physical ${pc.physical_type}, expected ${e.physical} for ${c.type}`)
      if ('logical' in e && lt !== e.logical) probs.push(`${c.name}: logical ${lt}, expected ${e.logical} for ${c.type}`)
      if ('utc' in e && (pc.logical_type?.isAdjustedToUTC !== e.utc || pc.logical_type?.unit !== 'MICROS'))
        probs.push(`${c.name}: ${JSON.stringify(pc.logical_type)}, expected MICROS utc=${e.utc}`)
      if (c.type === 'decimal' && (pc.precision !== c.precision || pc.scale !== c.scale))
        probs.push(`${c.name}: DECIMAL(${pc.precision},${pc.scale}) in the file, manifest (${c.precision},${c.scale})`)
      const rep = c.nullable ? 'OPTIONAL' : 'REQUIRED'
      if (pc.repetition !== rep) probs.push(`${c.name}: ${pc.repetition}, manifest nullable=${c.nullable}`)
    })
  })
  const fileRows = schemas.reduce((n, s) => n + s.schema.num_rows, 0)
  if (fileRows !== ds.rows) probs.push(`files hold ${fileRows} rows, manifest rows=${ds.rows}`)
  if (ds.source_rows !== undefined && ds.source_rows !== ds.rows) probs.push(`manifest rows=${ds.rows} source_rows=${ds.source_rows}`)
  if (typeof ds.files === 'number' && ds.files !== schemas.length) probs.push(`${schemas.length} part files, manifest files=${ds.files}`)
  if (Array.isArray(ds.files)) {
    // files[] {path, rows, bytes, crc32}: the same files, and each one as described.
    const listed = ds.files.map(f => join(opt.lake, f.path)).sort()
    const found = schemas.map(s => s.file).sort()
    if (listed.join('\n') !== found.join('\n')) probs.push(`manifest files ${JSON.stringify(ds.files.map(f => f.path))}, folder has ${JSON.stringify(found.map(f => f.slice(opt.lake.length + 1)))}`)
    for (const f of ds.files) {
      const path = join(opt.lake, f.path)
      const s = schemas.find(x => x.file === path)
      if (!s) continue
      const data = readFileSync(path)
      if (f.rows !== undefined && f.rows !== s.schema.num_rows) probs.push(`${f.path}: ${s.schema.num_rows} rows, manifest ${f.rows}`)
      if (f.bytes !== undefined && f.bytes !== data.length) probs.push(`${f.path}: ${data.length} bytes, manifest ${f.bytes}`)
      if (f.crc32 !== undefined && parseInt(f.crc32, 16) !== crc32(data)) probs.push(`${f.path}: CRC-32 ${crc32(data).toString(16).padStart(8, '0')}, manifest ${f.crc32}`)
    }
    const bytes = ds.files.reduce((n, f) => n + (f.bytes ?? 0), 0)
    if (ds.bytes !== undefined && ds.files.every(f => f.bytes !== undefined) && bytes !== ds.bytes) probs.push(`manifest bytes=${ds.bytes}, files add up to ${bytes}`)
  }
  return probs
}

function show(v) {
  return v === null ? 'null' : JSON.stringify(v)
}

function diff(table, cols, src, got, readerName, others) {
  const probs = []
  if (src.length !== got.length) probs.push(`${table}: ${readerName} has ${got.length} rows, source ${src.length}`)
  const n = Math.min(src.length, got.length)
  let count = 0
  for (let r = 0; r < n; r++)
    for (let c = 0; c < cols.length; c++) {
      if (src[r][c] === got[r][c] && !(typeof src[r][c] === 'string' && src[r][c].startsWith('<ERR'))) continue
      count++
      if (probs.length < maxShow) {
        const o = others.map(([nm, rows]) => `${nm}=${rows && r < rows.length ? show(rows[r][c]) : '-'}`).join(' ')
        probs.push(`table ${table} column ${cols[c].name} row ${r}: sqlite=${show(src[r][c])} ${o}`)
      }
    }
  if (count > maxShow) probs.push(`… ${count} mismatching values in all`)
  return probs
}

async function main() {
  const lake = opt.lake
  const run = opt.run || readFileSync(join(lake, '_snaplake/current'), 'utf8').trim()
  let current = null
  try {
    current = readFileSync(join(lake, '_snaplake/current'), 'utf8').trim()
  } catch {}
  const manifestPath = join(lake, '_snaplake/runs', `${run}.json`)
  if (!existsSync(manifestPath)) {
    fail(`manifest`, [`no manifest ${manifestPath}`])
    return
  }
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'))
  let raws = manifest.datasets.filter(d => d.layer === 'raw')
  if (opt.tables) {
    const want = opt.tables.split(',')
    raws = raws.filter(d => want.includes(d.name))
    for (const w of want) if (!raws.some(d => d.name === w)) fail(`${w}:manifest`, [`no raw dataset ${w} in ${manifestPath}`])
  }
  if (!raws.length) fail('datasets', ['no raw dataset to compare'])
  for (const ds of raws) {
    const table = ds.source_table.replace(/^main\./, '')
    const cols = ds.columns
    let src, files, schemas
    try {
      files = partFiles(ds)
      schemas = []
      for (const f of files) schemas.push({ file: f, schema: await parquetSchemaOf(f) })
      const probs = files.length ? schemaProblems(ds, cols, schemas) : [`no part files in ${join(lake, ds.location)}`]
      probs.length ? fail(`${ds.name}:schema`, probs) : pass(`${ds.name}:schema`)
      src = sqliteRows(opt.db, table, cols)
    } catch (e) {
      fail(`${ds.name}:source`, [String(e.message || e)])
      continue
    }
    if (arrowReader) {
      try {
        const as = []
        for (const f of files) as.push({ file: f, schema: await arrowReader.arrowSchemaOf(f) })
        const probs = arrowSchemaProblems(cols, run, as)
        probs.length ? fail(`${ds.name}:arrow-schema`, probs) : pass(`${ds.name}:arrow-schema`)
      } catch (e) {
        fail(`${ds.name}:arrow-schema`, [String(e.message || e).split('\n').slice(0, 4).join(' | ')])
      }
    }
    const got = {}
    for (const rd of readers) {
      try {
        got[rd] = rd === 'pqread' ? await pqRows(files, cols) : rd === 'arrow' ? await arrowRows(files, cols) : duckRows(ds, cols, run === current)
      } catch (e) {
        got[rd] = null
        fail(`${ds.name}:${rd}`, [String(e.message || e).split('\n').slice(0, 4).join(' | ')])
      }
    }
    for (const rd of readers) {
      if (!got[rd]) continue
      const others = readers.map(o => [o, got[o]])
      const probs = diff(ds.name, cols, src, got[rd], rd, others)
      probs.length ? fail(`${ds.name}:${rd}`, probs) : pass(`${ds.name}:${rd}`)
    }
  }
}

await main().catch(e => fail('crash', [String(e.stack || e)]))
process.exitCode = failures ? 1 : 0
