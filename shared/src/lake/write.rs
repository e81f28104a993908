//! Fitted rows → one Parquet file: zstd, data and dictionary pages of at most 1 MiB
//! uncompressed, row groups closed at 128 MiB of buffered data (under the 256 MB Security
//! Lake asks for, whatever the compression), rows in the order given (sorted by time).

use arrow_json::reader::ReaderBuilder;
use arrow_schema::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use serde_json::{Map, Value};

use super::LakeError;

const PAGE_BYTES: usize = 1 << 20;
/// Buffered bytes at which a row group is closed.
const ROW_GROUP_BYTES: usize = 128 << 20;
/// Rows decoded per Arrow batch.
const BATCH_ROWS: usize = 1024;

pub fn write(schema: &SchemaRef, rows: &[Map<String, Value>]) -> Result<Vec<u8>, LakeError> {
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3).map_err(LakeError::parquet)?))
        .set_data_page_size_limit(PAGE_BYTES)
        .set_dictionary_page_size_limit(PAGE_BYTES)
        .set_max_row_group_size(1_000_000)
        .set_created_by(format!("ocsfmap {}", env!("CARGO_PKG_VERSION")))
        .build();
    let mut writer = ArrowWriter::try_new(Vec::new(), schema.clone(), Some(props))
        .map_err(LakeError::parquet)?;
    let mut decoder = ReaderBuilder::new(schema.clone())
        .with_strict_mode(true)
        .with_batch_size(BATCH_ROWS)
        .build_decoder()
        .map_err(LakeError::arrow)?;
    for chunk in rows.chunks(BATCH_ROWS) {
        decoder.serialize(chunk).map_err(LakeError::arrow)?;
        if let Some(batch) = decoder.flush().map_err(LakeError::arrow)? {
            writer.write(&batch).map_err(LakeError::parquet)?;
            if writer.in_progress_size() >= ROW_GROUP_BYTES {
                writer.flush().map_err(LakeError::parquet)?;
            }
        }
    }
    writer.into_inner().map_err(LakeError::parquet)
}
