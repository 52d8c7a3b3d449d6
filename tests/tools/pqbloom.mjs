#!/usr/bin/env node
// pqbloom.mjs — a file's bloom filters as read by hyparquet (not snaplake's
// code): the independent check of the writer's split-block bloom filters.
//
//   node pqbloom.mjs FILE COLUMN VALUE…   per row group: "rg=<g> bytes=<n>"
//                                          then "<value>=maybe|absent" per value,
//                                          or "rg=<g> none" without a filter
//   node pqbloom.mjs --xxh64 HEX…          hyparquet's XXH64 (seed 0) of each
//                                          byte string, as 16 hex digits
//
// VALUEs are given as text and hashed as the column's PLAIN bytes: INT32
// and INT64 as integers (also DECIMAL/DATE/TIMESTAMP columns: pass the
// stored integer), BYTE_ARRAY as UTF-8, FLOAT/DOUBLE as numbers.
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'

const require = createRequire(import.meta.url)
const main = require.resolve('hyparquet')
const src = main.includes('/src/') ? dirname(main) : join(dirname(main), '..', 'src')
const hp = await import(pathToFileURL(main).href)
const { readBloomFilter, sbbfContains } = await import(pathToFileURL(join(src, 'bloom.js')).href)
const { xxhash64 } = await import(pathToFileURL(join(src, 'xxhash.js')).href)

const args = process.argv.slice(2)
if (args[0] === '--xxh64') {
  for (const hex of args.slice(1)) {
    const bytes = Uint8Array.from(Buffer.from(hex, 'hex'))
    console.log(xxhash64(bytes).toString(16).padStart(16, '0'))
  }
  process.exit(0)
}

const [file, column, ...values] = args
const buf = readFileSync(file)
const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)
const meta = hp.parquetMetadata(ab)

function plain(type, text) {
  const b = new DataView(new ArrayBuffer(8))
  switch (type) {
    case 'INT32': b.setInt32(0, Number(text), true); return new Uint8Array(b.buffer, 0, 4)
    case 'INT64': b.setBigInt64(0, BigInt(text), true); return new Uint8Array(b.buffer, 0, 8)
    case 'FLOAT': b.setFloat32(0, Number(text), true); return new Uint8Array(b.buffer, 0, 4)
    case 'DOUBLE': b.setFloat64(0, Number(text), true); return new Uint8Array(b.buffer, 0, 8)
    default: return new TextEncoder().encode(text)
  }
}

meta.row_groups.forEach((rg, g) => {
  const cc = rg.columns.find((c) => c.meta_data.path_in_schema.join('.') === column)
  if (!cc) throw new Error(`no column ${column}`)
  const md = cc.meta_data
  if (md.bloom_filter_offset === undefined) {
    console.log(`rg=${g} none`)
    return
  }
  const off = Number(md.bloom_filter_offset)
  const len = md.bloom_filter_length ?? ab.byteLength - off
  const bf = readBloomFilter({ view: new DataView(ab, off, len), offset: 0 })
  if (!bf) throw new Error(`rg ${g}: unreadable bloom filter`)
  console.log(`rg=${g} bytes=${bf.numBytes}`)
  for (const v of values)
    console.log(`${v}=${sbbfContains(bf.blocks, xxhash64(plain(md.type, v))) ? 'maybe' : 'absent'}`)
})
