#!/usr/bin/env node
// pqread_arrow.mjs — the second independent Parquet reader of the tests: arrow-rs
// (the Rust `parquet` and `arrow` crates) compiled to WebAssembly, npm parquet-wasm.
//
//   node pqread_arrow.mjs FILE.parquet            one JSON object per row (JSON lines)
//   node pqread_arrow.mjs --schema FILE.parquet   what arrow-rs makes of the file, as JSON
//
// The rows come out in exactly pqread.mjs's canonical text form (see there), so
// a test compares the two readers' output byte for byte, or each with the source.
// parquet-wasm decodes the file into Arrow record batches inside WebAssembly and
// hands them over as an Arrow IPC stream; apache-arrow (JS) only unpacks that
// stream.  Every value is taken from the Arrow buffers, never through a lossy
// getter: timestamps and times as their BigInt64 ticks (arrow-js's get() gives
// milliseconds), decimals as the 128-bit two's complement words, dates as days.
// The canonical form of a value follows from its Arrow type, which arrow-rs
// derives from the Parquet logical type: Decimal128(p,s) → exact text with s
// digits, Timestamp(unit[, UTC]) → "YYYY-MM-DD HH:MM:SS.ffffff", Date32 → date,
// Time32/Time64 → "HH:MM:SS.ffffff", Utf8 → text, Binary/FixedSizeBinary → hex
// (a FixedSizeBinary(16) with the arrow.uuid extension as a dashed UUID), List →
// an array.
//
// --schema prints, per file: num_rows, created_by, the key-value metadata, the
// row groups (rows; per column chunk its codec and encodings), and per column the
// Arrow type, nullability and field id (arrow-rs's "PARQUET:field_id").  The
// page index, statistics and bloom filters are out of reach: parquet-wasm 0.8
// has no API for them (docs/parquet.md, Readers).
//
// Also usable as a module: import { readParquetArrow, arrowSchemaOf } from it.
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { canonDouble, dateText, decimalText, runCli, timestampText } from './pqread.mjs'

// NODE_PATH holds .deps/node/node_modules (tests/tools/e2e-lib.sh); resolve from
// there, as pqread.mjs does, rather than from this file's folder.
const require = createRequire(import.meta.url)
const pw = require('parquet-wasm') // its "node" export: CommonJS, loads the .wasm synchronously
const arrow = require('apache-arrow')
const { Type, TimeUnit } = arrow

function hex(bytes) {
  let s = ''
  for (const b of bytes) s += (b < 16 ? '0' : '') + b.toString(16)
  return s
}

function uuidText(bytes) {
  const h = hex(bytes)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

// Little-endian 32-bit words of a two's complement integer → BigInt.
function wordsSigned(words, at, n) {
  let v = 0n
  for (let k = n - 1; k >= 0; k--) v = (v << 32n) | BigInt(words[at + k])
  if (words[at + n - 1] & 0x80000000) v -= 1n << BigInt(32 * n)
  return v
}

// Ticks of `unit` → the canonical text pqread.mjs prints for a TIMESTAMP.
function stampText(raw, unit) {
  switch (unit) {
    case TimeUnit.SECOND: return timestampText(raw * 1000000n)
    case TimeUnit.MILLISECOND: return timestampText(raw * 1000n)
    case TimeUnit.MICROSECOND: return timestampText(raw)
    case TimeUnit.NANOSECOND:
      if (raw % 1000n !== 0n) return timestampText(raw / 1000n) + '+' + String(raw % 1000n).padStart(3, '0') + 'ns'
      return timestampText(raw / 1000n)
  }
  throw new Error(`pqread_arrow: timestamp unit ${unit}`)
}

function timeText(raw, unit) {
  const us = unit === TimeUnit.SECOND ? raw * 1000000n : unit === TimeUnit.MILLISECOND ? raw * 1000n : unit === TimeUnit.NANOSECOND ? raw / 1000n : raw
  return timestampText(us).slice(11)
}

// (data, i) → the canonical text of row i of one Arrow Data chunk (not null).
function cellReader(field) {
  const t = field.type
  switch (t.typeId) {
    case Type.Bool:
      return (d, i) => {
        const j = d.offset + i
        return d.values[j >> 3] & (1 << (j & 7)) ? 'true' : 'false'
      }
    case Type.Int:
      return (d, i) => BigInt(d.values[i]).toString()
    case Type.Float:
      return (d, i) => canonDouble(Number(d.values[i]))
    case Type.Decimal: {
      const n = t.bitWidth / 32
      return (d, i) => decimalText(wordsSigned(d.values, i * n, n), t.scale)
    }
    case Type.Date:
      if (t.unit !== arrow.DateUnit.DAY) throw new Error(`pqread_arrow: ${field.name}: ${t} (not Date32)`)
      return (d, i) => dateText(d.values[i])
    case Type.Timestamp:
      return (d, i) => stampText(BigInt(d.values[i]), t.unit)
    case Type.Time:
      return (d, i) => timeText(BigInt(d.values[i]), t.unit)
    case Type.Utf8:
    case Type.LargeUtf8: {
      const utf8 = new TextDecoder('utf-8', { fatal: true })
      return (d, i) => utf8.decode(d.values.subarray(Number(d.valueOffsets[i]), Number(d.valueOffsets[i + 1])))
    }
    case Type.Binary:
    case Type.LargeBinary:
      return (d, i) => hex(d.values.subarray(Number(d.valueOffsets[i]), Number(d.valueOffsets[i + 1])))
    case Type.FixedSizeBinary: {
      const w = t.byteWidth
      const uuid = w === 16 && field.metadata.get('ARROW:extension:name') === 'arrow.uuid'
      return (d, i) => (uuid ? uuidText : hex)(d.values.subarray(i * w, (i + 1) * w))
    }
    case Type.List:
    case Type.LargeList: {
      const child = t.children[0]
      const read = cellReader(child)
      return (d, i) => {
        const c = d.children[0]
        const out = []
        for (let k = Number(d.valueOffsets[i]); k < Number(d.valueOffsets[i + 1]); k++) out.push(c.getValid(k) ? read(c, k) : null)
        return out
      }
    }
    default:
      throw new Error(`pqread_arrow: ${field.name}: unsupported Arrow type ${t}`)
  }
}

function load(file) {
  // readParquet decodes the whole file (every row group) into record batches.
  const table = pw.readParquet(new Uint8Array(readFileSync(file)))
  return arrow.tableFromIPC(table.intoIPCStream())
}

// All rows of a file as objects {column: canonical text or null}, like pqread.mjs.
export async function readParquetArrow(file) {
  const at = load(file)
  const fields = at.schema.fields
  const readers = fields.map(cellReader)
  const rows = Array.from({ length: at.numRows }, () => ({}))
  fields.forEach((f, c) => {
    const vec = at.getChildAt(c)
    let r = 0
    for (const d of vec.data) {
      for (let i = 0; i < d.length; i++, r++) rows[r][f.name] = d.getValid(i) ? readers[c](d, i) : null
    }
    if (r !== at.numRows) throw new Error(`pqread_arrow: ${file}: column ${f.name} has ${r} values, table ${at.numRows} rows`)
  })
  const meta = await metadataOf(file)
  if (at.numRows !== meta.num_rows)
    throw new Error(`pqread_arrow: ${file}: read ${at.numRows} rows, footer says ${meta.num_rows}`)
  return rows
}

const codecName = c => pw.Compression[c] ?? String(c)
const encodingName = e => pw.Encoding[e] ?? String(e)

async function metadataOf(file) {
  const pf = await pw.ParquetFile.fromFile(new Blob([readFileSync(file)]))
  const md = pf.metadata()
  const fm = md.fileMetadata()
  return {
    num_rows: Number(fm.numRows()),
    created_by: fm.createdBy() ?? null,
    key_value_metadata: Object.fromEntries(fm.keyValueMetadata()),
    row_groups: md.rowGroups().map(rg => ({
      rows: Number(rg.numRows()),
      columns: rg.columns().map(c => ({ path: c.columnPath().join('.'), codec: codecName(c.compression()), encodings: c.encodings().map(encodingName) })),
    })),
  }
}

function typeJson(field) {
  const t = field.type
  const o = { type: String(t) }
  if (t.typeId === Type.Decimal) Object.assign(o, { precision: t.precision, scale: t.scale, bit_width: t.bitWidth })
  if (t.typeId === Type.Timestamp) Object.assign(o, { unit: TimeUnit[t.unit], timezone: t.timezone ?? null })
  if (t.typeId === Type.Time) Object.assign(o, { unit: TimeUnit[t.unit] })
  if (t.typeId === Type.List || t.typeId === Type.LargeList) o.element = { ...typeJson(t.children[0]), nullable: t.children[0].nullable }
  const ext = field.metadata.get('ARROW:extension:name')
  if (ext) o.extension = ext
  return o
}

// What arrow-rs makes of a file: its metadata and the Arrow schema it derives.
export async function arrowSchemaOf(file) {
  const meta = await metadataOf(file)
  const at = load(file)
  return {
    ...meta,
    // The file's key-value metadata as arrow-rs passes it on to the Arrow schema.
    schema_metadata: Object.fromEntries(at.schema.metadata),
    columns: at.schema.fields.map(f => {
      const id = f.metadata.get('PARQUET:field_id')
      return { name: f.name, ...typeJson(f), nullable: f.nullable, field_id: id === undefined ? null : Number(id) }
    }),
  }
}

runCli(import.meta.url, 'pqread_arrow', readParquetArrow, arrowSchemaOf)
