//! The record the scanner writes for each reply.

use super::{
    F_A_LEN, F_A_START, F_B_LEN, F_B_START, F_C_LEN, F_C_START, F_END, F_FLAGS, F_KIND, F_START,
    MALFORMED_EXCERPT,
};

/// Reply kinds, numbered as `ReplyKind` in `ts/core/contract.ts`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum ReplyKind {
    End = 1,
    Stored = 2,
    NotStored = 3,
    Exists = 4,
    NotFound = 5,
    Deleted = 6,
    Touched = 7,
    Ok = 8,
    Reset = 9,
    Error = 10,
    Number = 11,
    Stat = 12,
    Version = 13,
    ClientError = 14,
    ServerError = 15,
    Value = 16,
    Malformed = 17,
    /// Meta `HD`: success, no value.
    MetaHd = 18,
    /// Meta `VA <datalen>`: a value follows.
    MetaVa = 19,
    /// Meta `EN`: miss (mg, me).
    MetaEn = 20,
    /// Meta `NS`: not stored.
    MetaNs = 21,
    /// Meta `EX`: CAS mismatch (exists).
    MetaEx = 22,
    /// Meta `NF`: not found.
    MetaNf = 23,
    /// Meta `MN`: the no-op's answer.
    MetaMn = 24,
    /// Meta `ME <key> <k>=<v>*`: the debug dump.
    MetaMe = 25,
}

impl ReplyKind {
    /// Every kind, in the order of their numbers (1 ..= 25).
    pub const ALL: [ReplyKind; 25] = {
        use ReplyKind::*;
        [
            End,
            Stored,
            NotStored,
            Exists,
            NotFound,
            Deleted,
            Touched,
            Ok,
            Reset,
            Error,
            Number,
            Stat,
            Version,
            ClientError,
            ServerError,
            Value,
            Malformed,
            MetaHd,
            MetaVa,
            MetaEn,
            MetaNs,
            MetaEx,
            MetaNf,
            MetaMn,
            MetaMe,
        ]
    };

    /// The kind a record's F_KIND word holds, or None for a number that is no kind.
    pub fn from_code(code: u32) -> Option<ReplyKind> {
        let index = usize::try_from(code).ok()?.checked_sub(1)?;
        ReplyKind::ALL.get(index).copied()
    }
}

/// A byte range of the scanned buffer, as absolute `(start, len)`.
pub(super) type Span = (usize, usize);

/// One reply. Fields a kind does not have stay `(0, 0)` / 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Record {
    pub kind: ReplyKind,
    pub start: usize,
    pub end: usize,
    pub a: Span,
    pub b: Span,
    pub flags: u32,
    pub c: Span,
}

impl Record {
    /// A reply without fields.
    pub fn bare(kind: ReplyKind, start: usize, end: usize) -> Record {
        Record {
            kind,
            start,
            end,
            a: (0, 0),
            b: (0, 0),
            flags: 0,
            c: (0, 0),
        }
    }

    /// A reply with field A only.
    pub fn with_a(kind: ReplyKind, start: usize, end: usize, a: Span) -> Record {
        Record {
            a,
            ..Record::bare(kind, start, end)
        }
    }

    /// Bytes `[start, judged_end)` are no valid reply. It consumes nothing (F_END = F_START);
    /// A shows the judged bytes, at most MALFORMED_EXCERPT of them.
    pub fn malformed(start: usize, judged_end: usize) -> Record {
        let excerpt = (start, (judged_end - start).min(MALFORMED_EXCERPT));
        Record::with_a(ReplyKind::Malformed, start, start, excerpt)
    }

    /// Writes the record's SCAN_STRIDE words. Offsets fit in u32: the scan window ends at a u32.
    pub fn write(&self, slot: &mut [u32]) {
        slot[F_KIND] = self.kind as u32;
        slot[F_START] = self.start as u32;
        slot[F_END] = self.end as u32;
        slot[F_A_START] = self.a.0 as u32;
        slot[F_A_LEN] = self.a.1 as u32;
        slot[F_B_START] = self.b.0 as u32;
        slot[F_B_LEN] = self.b.1 as u32;
        slot[F_FLAGS] = self.flags;
        slot[F_C_START] = self.c.0 as u32;
        slot[F_C_LEN] = self.c.1 as u32;
    }
}
