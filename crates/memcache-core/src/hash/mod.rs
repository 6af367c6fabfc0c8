//! The eleven hash functions of libmemcached's libhashkit, bit-exact with libhashkit on x86.
//!
//! libhashkit takes keys as `const char *`. Where it widens a byte straight from `char`
//! (signed on x86), bytes >= 0x80 are sign-extended before mixing; where it reads through
//! `unsigned char`/`uint8_t`, they are not. Each function's doc says which reading it uses.

use crate::batch::{map_keys, BatchError};

mod crc;
mod fnv;
mod hsieh;
mod jenkins;
mod md5;
mod murmur;
mod one_at_a_time;

pub use self::crc::crc;
pub use self::fnv::{fnv1_32, fnv1_64, fnv1a_32, fnv1a_64};
pub use self::hsieh::hsieh;
pub use self::jenkins::jenkins;
pub use self::md5::{md5, md5_digest};
pub use self::murmur::{murmur, murmur3};
pub use self::one_at_a_time::one_at_a_time;

/// A libhashkit algorithm. The discriminant is the algorithm's id in the binding
/// (its index in `HASH_ALGORITHMS` of `ts/core/contract.ts`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum Algorithm {
    OneAtATime = 0,
    Md5 = 1,
    Crc = 2,
    Fnv1_64 = 3,
    Fnv1a64 = 4,
    Fnv1_32 = 5,
    Fnv1a32 = 6,
    Hsieh = 7,
    Murmur = 8,
    Jenkins = 9,
    Murmur3 = 10,
}

impl Algorithm {
    /// Every algorithm, in id order.
    pub const ALL: [Algorithm; 11] = [
        Algorithm::OneAtATime,
        Algorithm::Md5,
        Algorithm::Crc,
        Algorithm::Fnv1_64,
        Algorithm::Fnv1a64,
        Algorithm::Fnv1_32,
        Algorithm::Fnv1a32,
        Algorithm::Hsieh,
        Algorithm::Murmur,
        Algorithm::Jenkins,
        Algorithm::Murmur3,
    ];

    /// The algorithm with binding id `id`, if there is one.
    pub fn from_id(id: u32) -> Option<Algorithm> {
        Self::ALL.get(usize::try_from(id).ok()?).copied()
    }

    /// The libmemcached name, as in `HASH_ALGORITHMS`.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::OneAtATime => "one_at_a_time",
            Algorithm::Md5 => "md5",
            Algorithm::Crc => "crc",
            Algorithm::Fnv1_64 => "fnv1_64",
            Algorithm::Fnv1a64 => "fnv1a_64",
            Algorithm::Fnv1_32 => "fnv1_32",
            Algorithm::Fnv1a32 => "fnv1a_32",
            Algorithm::Hsieh => "hsieh",
            Algorithm::Murmur => "murmur",
            Algorithm::Jenkins => "jenkins",
            Algorithm::Murmur3 => "murmur3",
        }
    }

    /// The algorithm called `name`, if there is one.
    pub fn from_name(name: &str) -> Option<Algorithm> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }

    /// The hash function itself, so batch loops dispatch once rather than per key.
    pub fn function(self) -> fn(&[u8]) -> u32 {
        match self {
            Algorithm::OneAtATime => one_at_a_time,
            Algorithm::Md5 => md5,
            Algorithm::Crc => crc,
            Algorithm::Fnv1_64 => fnv1_64,
            Algorithm::Fnv1a64 => fnv1a_64,
            Algorithm::Fnv1_32 => fnv1_32,
            Algorithm::Fnv1a32 => fnv1a_32,
            Algorithm::Hsieh => hsieh,
            Algorithm::Murmur => murmur,
            Algorithm::Jenkins => jenkins,
            Algorithm::Murmur3 => murmur3,
        }
    }

    /// The hash of one key.
    pub fn hash(self, key: &[u8]) -> u32 {
        self.function()(key)
    }

    /// The hash of each key of a packed batch (see `batch::map_keys`).
    pub fn hash_batch(
        self,
        keys: &[u8],
        offsets: &[u32],
        out: &mut [u32],
    ) -> Result<(), BatchError> {
        map_keys(keys, offsets, out, self.function())
    }
}

/// A key byte as libhashkit sees it through x86's signed `char`, widened to 32 bits.
#[inline]
fn signed_char_u32(byte: u8) -> u32 {
    byte as i8 as u32
}

/// A key byte as libhashkit sees it through x86's signed `char`, widened to 64 bits.
#[inline]
fn signed_char_u64(byte: u8) -> u64 {
    byte as i8 as u64
}
