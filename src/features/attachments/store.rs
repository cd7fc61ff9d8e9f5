//! Where photos' bytes live: an `object_store` behind one handle, so the same code writes to
//! a folder next to the SQLite database (the default: nothing to set up) or to any
//! S3-compatible store in production (AWS, Aliyun OSS, Tencent COS, MinIO, Ceph), chosen
//! by URL. Credentials come from the usual `AWS_*` environment variables; options may also
//! ride in the URL's query (`s3://photos?endpoint=http://10.0.0.5:9000&allow_http=true`).
//!
//! Layout: `photos/{id}` (stripped bytes), `thumbnails/{id}` (JPEG), and, while a photo is
//! arriving, `uploads/{id}/{start}` (one object per chunk, named by the byte it starts at).
//! Chunks live in the store rather than on a server's disk, so a phone resuming on patchy
//! data may reach any server in front of the same store.

use std::sync::Arc;

use anyhow::Context;
use bytes::Bytes;
use futures_util::TryStreamExt;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use uuid::Uuid;

/// The default cap on one photo: 10 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 10 * 1024 * 1024;
/// The longer edge of a thumbnail, in pixels: sharp in a list on a phone, about 20 kB.
pub const THUMBNAIL_EDGE: u32 = 320;

/// The photos' store and its limits.
pub struct Store {
    objects: Arc<dyn ObjectStore>,
    /// Where it is, for the log (without credentials).
    pub described: String,
    /// The largest photo accepted, in bytes.
    pub max_bytes: u64,
    pub thumbnail_edge: u32,
    /// Turns at finishing a photo (assembling its chunks, hashing, decoding, stripping,
    /// making the thumbnail), one per core: a decoded photo takes ten times its bytes in
    /// memory, so a morning's uploads finishing at once wait their turn rather than
    /// decoding hundreds of pictures side by side. The chunks themselves are never held
    /// back.
    pub finishing: Arc<tokio::sync::Semaphore>,
}

/// One turn per core.
fn turns() -> Arc<tokio::sync::Semaphore> {
    Arc::new(tokio::sync::Semaphore::new(
        std::thread::available_parallelism().map_or(2, usize::from),
    ))
}

/// A chunk already in the store.
struct Part {
    start: u64,
    size: u64,
    path: Path,
}

impl Store {
    /// Opens the store at `url`: `s3://bucket[/prefix][?option=value&…]`, or `file:///dir`
    /// (or a plain path) for a folder, created if missing.
    pub fn open(url: &str, max_bytes: u64) -> anyhow::Result<Self> {
        let objects: Arc<dyn ObjectStore> = if url.starts_with("s3://") {
            let (base, query) = url.split_once('?').unwrap_or((url, ""));
            let mut builder = AmazonS3Builder::from_env().with_url(base);
            for pair in query.split('&').filter(|p| !p.is_empty()) {
                let (k, v) = pair.split_once('=').unwrap_or((pair, "true"));
                let key: AmazonS3ConfigKey = k
                    .parse()
                    .with_context(|| format!("unknown S3 option `{k}` in the attachments URL"))?;
                builder = builder.with_config(key, v);
            }
            Arc::new(
                builder
                    .build()
                    .context("cannot open the S3 attachments store")?,
            )
        } else {
            let dir = url.strip_prefix("file://").unwrap_or(url);
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create the attachments folder {dir}"))?;
            Arc::new(
                LocalFileSystem::new_with_prefix(dir)
                    .with_context(|| format!("cannot open the attachments folder {dir}"))?,
            )
        };
        Ok(Self {
            objects,
            described: url.split('?').next().unwrap_or_default().to_owned(),
            max_bytes,
            thumbnail_edge: THUMBNAIL_EDGE,
            finishing: turns(),
        })
    }

    /// A store in memory (for a state built without settings; nothing survives it).
    pub fn memory() -> Self {
        Self {
            objects: Arc::new(InMemory::new()),
            described: "memory".into(),
            max_bytes: DEFAULT_MAX_BYTES,
            thumbnail_edge: THUMBNAIL_EDGE,
            finishing: turns(),
        }
    }

    pub fn photo(id: Uuid) -> Path {
        Path::from(format!("photos/{id}"))
    }

    pub fn thumbnail(id: Uuid) -> Path {
        Path::from(format!("thumbnails/{id}"))
    }

    async fn parts(&self, id: Uuid) -> object_store::Result<Vec<Part>> {
        let prefix = Path::from(format!("uploads/{id}"));
        let mut parts: Vec<Part> = self
            .objects
            .list(Some(&prefix))
            .try_filter_map(|meta| async move {
                Ok(meta
                    .location
                    .filename()
                    .and_then(|f| f.parse::<u64>().ok())
                    .map(|start| Part {
                        start,
                        size: meta.size,
                        path: meta.location.clone(),
                    }))
            })
            .try_collect()
            .await?;
        parts.sort_by_key(|p| p.start);
        Ok(parts)
    }

    /// How many bytes from the start have arrived without a gap.
    pub async fn received(&self, id: Uuid) -> object_store::Result<u64> {
        Ok(contiguous(&self.parts(id).await?))
    }

    /// Keeps a chunk that starts at byte `start`.
    pub async fn put_part(&self, id: Uuid, start: u64, bytes: Bytes) -> object_store::Result<()> {
        let path = Path::from(format!("uploads/{id}/{start:020}"));
        self.objects.put(&path, PutPayload::from(bytes)).await?;
        Ok(())
    }

    /// The first `size` bytes, from the chunks (overlaps resolved by position).
    pub async fn assemble(&self, id: Uuid, size: u64) -> object_store::Result<Vec<u8>> {
        let mut out = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        for part in self.parts(id).await? {
            let have = out.len() as u64;
            if part.start > have || have >= size {
                break;
            }
            let bytes = self.objects.get(&part.path).await?.bytes().await?;
            let skip = usize::try_from(have - part.start).unwrap_or(usize::MAX);
            if let Some(rest) = bytes.get(skip..) {
                let room = usize::try_from(size - have).unwrap_or(usize::MAX);
                out.extend_from_slice(&rest[..rest.len().min(room)]);
            }
        }
        Ok(out)
    }

    /// Drops an upload's chunks.
    pub async fn forget_parts(&self, id: Uuid) -> object_store::Result<()> {
        for part in self.parts(id).await? {
            match self.objects.delete(&part.path).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    pub async fn put(&self, path: &Path, bytes: Vec<u8>) -> object_store::Result<()> {
        self.objects.put(path, PutPayload::from(bytes)).await?;
        Ok(())
    }

    pub async fn get(&self, path: &Path) -> object_store::Result<Bytes> {
        self.objects.get(path).await?.bytes().await
    }

    pub async fn delete(&self, path: &Path) -> object_store::Result<()> {
        match self.objects.delete(path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// The bytes covered from 0 without a gap by chunks sorted by start.
fn contiguous(parts: &[Part]) -> u64 {
    parts.iter().fold(0, |have, p| {
        if p.start <= have {
            have.max(p.start + p.size)
        } else {
            have
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn chunks_resend_overlap_and_gaps_assemble_to_the_bytes_sent() {
        let store = Store::memory();
        let id = Uuid::now_v7();
        let bytes: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
        store
            .put_part(id, 0, Bytes::copy_from_slice(&bytes[..400]))
            .await
            .unwrap();
        // A chunk after a gap does not count yet.
        store
            .put_part(id, 700, Bytes::copy_from_slice(&bytes[700..]))
            .await
            .unwrap();
        assert_eq!(store.received(id).await.unwrap(), 400);
        // A re-sent chunk that overlaps what arrived fills the gap.
        store
            .put_part(id, 300, Bytes::copy_from_slice(&bytes[300..700]))
            .await
            .unwrap();
        assert_eq!(store.received(id).await.unwrap(), 1000);
        assert_eq!(store.assemble(id, 1000).await.unwrap(), bytes);
        store.forget_parts(id).await.unwrap();
        assert_eq!(store.received(id).await.unwrap(), 0);
    }
}
