#!/usr/bin/env node
// pqread.mjs — the independent Parquet reader of the end-to-end tests.
//
//   node pqread.mjs FILE.parquet            one JSON object per row (JSON lines)
//   node pqread.mjs --schema FILE.parquet   the file's schema as JSON
//
// Reads with hyparquet (+ hyparquet-compressors for zstd/gzip/…), never with
// snaplake's code or DuckDB, and prints every value in the canonical text form
// the tests compare on:
//   null → null; BOOLEAN → "true"/"false"; integers → decimal string;
//   FLOAT/DOUBLE → shortest JS repr (String(x)), "nan", "inf", "-inf", and
//   "-0" for negative zero; DECIMAL → exact, with exactly `scale` fractional
//   digits; DATE → "YYYY-MM-DD"; TIMESTAMP → "YYYY-MM-DD HH:MM:SS.ffffff"
//   (UTC when isAdjustedToUTC; the value as stored otherwise); STRING/JSON →
//   the text; other BYTE_ARRAY / FIXED_LEN_BYTE_ARRAY → lowercase hex.
//
// Exactness: hyparquet turns DECIMAL into a JS number (loses digits past 15)
// and timestamps into Date (milliseconds).  So this reader takes the file's
// schema, keeps the annotations aside, strips converted_type/logical_type from
// the metadata it hands back to hyparquet, and decodes the raw physical values
// (INT32 number, INT64 BigInt, byte arrays as Uint8Array) itself.
//
// Also usable as a module: import { readParquet, parquetSchemaOf } from it.
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'

const require = createRequire(import.meta.url)
const hp = await import(pathToFileURL(require.resolve('hyparquet')).href)
const { compressors } = await import(pathToFileURL(require.resolve('hyparquet-compressors')).href)

const utf8 = new TextDecoder('utf-8', { fatal: true })

export function canonDouble(x) {
  if (Number.isNaN(x)) return 'nan'
  if (x === Infinity) return 'inf'
  if (x === -Infinity) return '-inf'
  if (Object.is(x, -0)) return '-0'
  return String(x)
}

// Unscaled BigInt + scale → "-123.4500" with exactly `scale` fractional digits.
export function decimalText(unscaled, scale) {
  let neg = unscaled < 0n
  let digits = (neg ? -unscaled : unscaled).toString()
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0')
    digits = digits.slice(0, digits.length - scale) + '.' + digits.slice(digits.length - scale)
  }
  return (neg ? '-' : '') + digits
}

function pad(n, w) {
  const s = String(n)
  return s.length >= w ? s : '0'.repeat(w - s.length) + s
}

// Days since 1970-01-01 → [y, m, d] (proleptic Gregorian; H. Hinnant's algorithm).
export function civilFromDays(z) {
  z += 719468
  const era = Math.floor(z / 146097)
  const doe = z - era * 146097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1
  const m = mp < 10 ? mp + 3 : mp - 9
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0)
  return [y, m, d]
}

export function daysFromCivil(y, m, d) {
  y -= m <= 2 ? 1 : 0
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

function yearText(y) {
  return y < 0 ? '-' + pad(-y, 4) : pad(y, 4)
}

export function dateText(days) {
  const [y, m, d] = civilFromDays(days)
  return `${yearText(y)}-${pad(m, 2)}-${pad(d, 2)}`
}

// BigInt microseconds since the epoch → "YYYY-MM-DD HH:MM:SS.ffffff".
export function timestampText(micros) {
  const perDay = 86400000000n
  let days = micros / perDay
  let rem = micros % perDay
  if (rem < 0n) {
    rem += perDay
    days -= 1n
  }
  const us = Number(rem % 1000000n)
  const secs = Number(rem / 1000000n)
  return `${dateText(Number(days))} ${pad(Math.floor(secs / 3600), 2)}:${pad(Math.floor(secs / 60) % 60, 2)}:${pad(secs % 60, 2)}.${pad(us, 6)}`
}

function hex(bytes) {
  let s = ''
  for (const b of bytes) s += (b < 16 ? '0' : '') + b.toString(16)
  return s
}

// Big-endian two's complement → BigInt.
function beSigned(bytes) {
  if (!bytes.length) return 0n
  let v = 0n
  for (const b of bytes) v = (v << 8n) | BigInt(b)
  const bits = BigInt(bytes.length * 8)
  if (bytes[0] & 0x80) v -= 1n << bits
  return v
}

// What a leaf column holds, from its (original) schema element.
function kindOf(el) {
  const lt = el.logical_type
  const ct = el.converted_type
  if (ct === 'DECIMAL' || lt?.type === 'DECIMAL') return { kind: 'decimal', scale: el.scale ?? lt?.scale ?? 0, precision: el.precision ?? lt?.precision }
  if (ct === 'DATE' || lt?.type === 'DATE') return { kind: 'date' }
  if (lt?.type === 'TIMESTAMP') return { kind: 'timestamp', unit: lt.unit, utc: lt.isAdjustedToUTC }
  if (ct === 'TIMESTAMP_MICROS') return { kind: 'timestamp', unit: 'MICROS', utc: true }
  if (ct === 'TIMESTAMP_MILLIS') return { kind: 'timestamp', unit: 'MILLIS', utc: true }
  if (lt?.type === 'TIME' || ct === 'TIME_MICROS' || ct === 'TIME_MILLIS') return { kind: 'time', unit: lt?.unit ?? (ct === 'TIME_MILLIS' ? 'MILLIS' : 'MICROS') }
  if (lt?.type === 'UUID') return { kind: 'uuid' }
  if (ct === 'UTF8' || ct === 'JSON' || ct === 'ENUM' || lt?.type === 'STRING' || lt?.type === 'JSON' || lt?.type === 'ENUM') return { kind: 'string' }
  if (ct?.startsWith?.('UINT_') || (lt?.type === 'INTEGER' && lt.isSigned === false)) return { kind: 'uint', bits: lt?.bitWidth ?? Number(ct.slice(5)) }
  return { kind: el.type }
}

function converter(k) {
  switch (k.kind) {
    case 'decimal':
      return v => {
        const unscaled = v instanceof Uint8Array ? beSigned(v) : BigInt(v)
        return decimalText(unscaled, k.scale)
      }
    case 'date':
      return v => dateText(Number(v))
    case 'timestamp': {
      const mul = k.unit === 'MILLIS' ? 1000n : 1n
      const div = k.unit === 'NANOS' ? 1000n : 1n
      return v => {
        const raw = BigInt(v)
        if (div !== 1n && raw % div !== 0n) return timestampText(raw / div) + '+' + String(raw % div).padStart(3, '0') + 'ns'
        return timestampText((raw * mul) / div)
      }
    }
    case 'time':
      return v => {
        const us = k.unit === 'MILLIS' ? BigInt(v) * 1000n : k.unit === 'NANOS' ? BigInt(v) / 1000n : BigInt(v)
        return timestampText(us).slice(11)
      }
    case 'uuid':
      return v => {
        const h = hex(v)
        return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
      }
    case 'string':
      return v => utf8.decode(v)
    case 'uint':
      return v => {
        let b = BigInt(v)
        if (b < 0n) b += 1n << BigInt(k.bits)
        return b.toString()
      }
    case 'BOOLEAN':
      return v => (v ? 'true' : 'false')
    case 'INT32':
    case 'INT64':
      return v => BigInt(v).toString()
    case 'INT96': // a timestamp (hyparquet: nanoseconds since the epoch, UTC)
      return v => {
        const ns = BigInt(v)
        if (ns % 1000n !== 0n) return timestampText(ns / 1000n) + '+' + String(ns % 1000n) + 'ns'
        return timestampText(ns / 1000n)
      }
    case 'FLOAT':
    case 'DOUBLE':
      return v => canonDouble(Number(v))
    case 'BYTE_ARRAY':
    case 'FIXED_LEN_BYTE_ARRAY':
      return v => hex(v)
    default:
      throw new Error(`pqread: unsupported column kind ${k.kind}`)
  }
}

async function open(file) {
  const buf = await hp.asyncBufferFromFile(file)
  const metadata = await hp.parquetMetadataAsync(buf, { geoparquet: false })
  return { buf, metadata }
}

// One entry per column: its leaf element (types, name) and whether it is a
// three-level LIST (<opt> group name (LIST) { repeated group list { element } }).
function leaves(metadata) {
  const [root, ...rest] = metadata.schema
  const out = []
  for (let i = 0; i < rest.length; i++) {
    const el = rest[i]
    if (!el.num_children) {
      out.push(el)
      continue
    }
    const mid = rest[i + 1], leaf = rest[i + 2]
    const isList = el.converted_type === 'LIST' || el.logical_type?.type === 'LIST'
    if (!isList || el.num_children !== 1 || !mid || mid.num_children !== 1 ||
        mid.repetition_type !== 'REPEATED' || !leaf || leaf.num_children)
      throw new Error('pqread: only flat columns and three-level LISTs are supported')
    out.push({ ...leaf, name: el.name, repetition_type: el.repetition_type, list: true, leaf })
    i += 2
  }
  if (out.length !== root.num_children)
    throw new Error('pqread: schema does not match its root')
  return out
}

export async function parquetSchemaOf(file) {
  const { metadata } = await open(file)
  const cols = leaves(metadata).map((el, i) => {
    const codecs = [...new Set(metadata.row_groups.map(rg => rg.columns[i].meta_data.codec))]
    const encodings = [...new Set(metadata.row_groups.flatMap(rg => rg.columns[i].meta_data.encodings))]
    const o = {
      name: el.name,
      list: !!el.list,
      physical_type: el.type,
      repetition: el.repetition_type,
      converted_type: el.converted_type ?? null,
      logical_type: el.logical_type ?? null,
      codecs,
      encodings,
    }
    if (el.type_length !== undefined) o.type_length = el.type_length
    if (el.precision !== undefined) o.precision = el.precision
    if (el.scale !== undefined) o.scale = el.scale
    o.kind = kindOf(el).kind
    return o
  })
  return {
    num_rows: Number(metadata.num_rows),
    row_groups: metadata.row_groups.length,
    created_by: metadata.created_by ?? null,
    columns: cols,
  }
}

// All rows of a file as objects {column: canonical text or null}.
export async function readParquet(file) {
  const { buf, metadata } = await open(file)
  const els = leaves(metadata)
  const kinds = els.map(kindOf)
  const convs = kinds.map(converter)
  // Hand hyparquet a copy of the metadata without annotations: raw values.
  const raw = structuredClone(metadata)
  for (const el of raw.schema.slice(1)) {
    if (el.num_children) continue // keep LIST groups: hyparquet assembles them
    delete el.converted_type
    delete el.logical_type
  }
  // INT96 timestamps as nanoseconds (BigInt), not a millisecond Date.
  const parsers = { timestampFromNanoseconds: (nanos) => nanos } // merged with the defaults
  const rows = await hp.parquetReadObjects({ file: buf, metadata: raw, compressors, parsers, utf8: false, geoparquet: false })
  if (rows.length !== Number(metadata.num_rows))
    throw new Error(`pqread: ${file}: read ${rows.length} rows, footer says ${metadata.num_rows}`)
  return rows.map(r => {
    const o = {}
    els.forEach((el, i) => {
      const v = r[el.name]
      if (v === null || v === undefined) o[el.name] = null
      else if (el.list) o[el.name] = v.map(x => (x === null || x === undefined ? null : convs[i](x)))
      else o[el.name] = convs[i](v)
    })
    return o
  })
}

// The command line both readers share: `node READER.mjs [--schema] FILE.parquet` prints the
// file's schema as JSON, or one JSON object per row.  Runs only when the module at `url`
// (the reader's import.meta.url) is the script node was started with.
export function runCli(url, name, readRows, readSchema) {
  if (!process.argv[1] || url !== pathToFileURL(process.argv[1]).href) return
  process.stdout.on('error', e => process.exit(e.code === 'EPIPE' ? 0 : 1))
  const main = async () => {
    const args = process.argv.slice(2)
    const schema = args[0] === '--schema'
    if (schema) args.shift()
    if (args.length !== 1) {
      process.stderr.write(`usage: node ${name}.mjs [--schema] FILE.parquet\n`)
      process.exit(2)
    }
    if (schema) {
      process.stdout.write(JSON.stringify(await readSchema(args[0]), null, 1) + '\n')
      return
    }
    const out = []
    for (const r of await readRows(args[0])) out.push(JSON.stringify(r))
    process.stdout.write(out.length ? out.join('\n') + '\n' : '')
  }
  main().catch(e => {
    process.stderr.write(`${name}: ${e.stack || e}\n`)
    process.exit(1)
  })
}

runCli(import.meta.url, 'pqread', readParquet, parquetSchemaOf)
