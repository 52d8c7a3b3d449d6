#!/usr/bin/env node
// pqindex.mjs — a file's page index as read by hyparquet (not snaplake's
// code, not DuckDB): the independent check of ColumnIndex and OffsetIndex.
//
//   node pqindex.mjs FILE.parquet
//
// Prints "field_ids <name>=<id|->,…", one "kv <key>=<value>" line per
// key-value metadata entry, then one line per column chunk:
//   rg=<g> col=<name> pages=<n> order=<boundary_order> first_rows=<a,b,…>
//   min=<v,…> max=<v,…> nulls=<n,…> null_pages=<0/1,…>
// (min/max as hyparquet converts them: numbers, strings; "-" for a null page;
// "no-column-index" when the chunk has none) and checks the OffsetIndex
// against the chunk: page 0 at data_page_offset, offsets increasing and
// contiguous, first_row_index starting at 0 and increasing, last page ending
// at the chunk's end.  A failed check prints "ERROR …" and exits 1.
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'

const require = createRequire(import.meta.url)
const hp = await import(pathToFileURL(require.resolve('hyparquet')).href)

const file = process.argv[2]
const buf = readFileSync(file)
const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)
const meta = hp.parquetMetadata(ab)
const reader = (offset, length) => ({ view: new DataView(ab, Number(offset), length), offset: 0 })
const leaves = meta.schema.filter((s) => s.num_children === undefined)
let bad = 0
const fail = (msg) => {
  console.log(`ERROR ${msg}`)
  bad++
}
const show = (v) =>
  typeof v === 'bigint' ? v.toString()
    : v instanceof Uint8Array ? Buffer.from(v).toString('hex')
    : v instanceof Date ? v.toISOString()
    : String(v)

console.log(`field_ids ${meta.schema.map((s) => `${s.name}=${s.field_id ?? '-'}`).join(',')}`)
for (const kv of meta.key_value_metadata ?? []) console.log(`kv ${kv.key}=${kv.value}`)
meta.row_groups.forEach((rg, g) => {
  rg.columns.forEach((cc, i) => {
    const md = cc.meta_data
    const name = md.path_in_schema.join('.')
    if (cc.offset_index_offset === undefined) return fail(`rg ${g} ${name}: no OffsetIndex`)
    const oi = hp.readOffsetIndex(reader(cc.offset_index_offset, cc.offset_index_length))
    const locs = oi.page_locations
    const chunkEnd =
      Number(md.dictionary_page_offset ?? md.data_page_offset) + Number(md.total_compressed_size)
    if (Number(locs[0].offset) !== Number(md.data_page_offset))
      fail(`rg ${g} ${name}: first page at ${locs[0].offset}, data_page_offset ${md.data_page_offset}`)
    if (Number(locs[0].first_row_index) !== 0) fail(`rg ${g} ${name}: first_row_index[0] != 0`)
    for (let k = 1; k < locs.length; k++) {
      if (Number(locs[k].offset) !== Number(locs[k - 1].offset) + locs[k - 1].compressed_page_size)
        fail(`rg ${g} ${name}: page ${k} not right after page ${k - 1}`)
      if (!(Number(locs[k].first_row_index) > Number(locs[k - 1].first_row_index)))
        fail(`rg ${g} ${name}: first_row_index not increasing at page ${k}`)
    }
    const last = locs[locs.length - 1]
    if (Number(last.offset) + last.compressed_page_size !== chunkEnd)
      fail(`rg ${g} ${name}: last page ends at ${Number(last.offset) + last.compressed_page_size}, chunk at ${chunkEnd}`)
    let line = `rg=${g} col=${name} pages=${locs.length}`
    if (cc.column_index_offset === undefined) {
      console.log(`${line} no-column-index first_rows=${locs.map((l) => show(l.first_row_index)).join(',')}`)
      return
    }
    const ci = hp.readColumnIndex(reader(cc.column_index_offset, cc.column_index_length), leaves[i])
    if (ci.null_pages.length !== locs.length) fail(`rg ${g} ${name}: ${ci.null_pages.length} null_pages, ${locs.length} pages`)
    const bound = (arr) => arr.map((v, k) => (ci.null_pages[k] ? '-' : show(v))).join(',')
    line += ` order=${ci.boundary_order} first_rows=${locs.map((l) => show(l.first_row_index)).join(',')}`
    line += ` min=${bound(ci.min_values)} max=${bound(ci.max_values)}`
    line += ` nulls=${ci.null_counts.map(show).join(',')} null_pages=${ci.null_pages.map((b) => (b ? 1 : 0)).join(',')}`
    console.log(line)
  })
})
process.exit(bad ? 1 : 0)
