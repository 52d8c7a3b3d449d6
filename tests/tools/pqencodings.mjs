#!/usr/bin/env node
// pqencodings.mjs — each column chunk's encodings and encoding_stats as
// hyparquet reads them from the footer (not snaplake's code, not DuckDB):
//
//   node pqencodings.mjs FILE.parquet
//
// One line per chunk: "rg=<g> col=<path> encodings=<E,…> stats=<page_type>:<encoding>:<count>,…"
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'

const require = createRequire(import.meta.url)
const hp = await import(pathToFileURL(require.resolve('hyparquet')).href)
const buf = readFileSync(process.argv[2])
const meta = hp.parquetMetadata(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength))
meta.row_groups.forEach((rg, g) => {
  for (const c of rg.columns) {
    const m = c.meta_data
    const stats = (m.encoding_stats ?? []).map((s) => `${s.page_type}:${s.encoding}:${s.count}`)
    console.log(`rg=${g} col=${m.path_in_schema.join('.')} encodings=${m.encodings.join(',')} stats=${stats.join(',')}`)
  }
})
