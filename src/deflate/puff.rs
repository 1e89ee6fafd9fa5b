//! A minimal raw DEFLATE decoder (RFC 1951), after zlib's contrib/puff, for tests: it
//! returns the output and the largest back-reference distance used.

const LBASE: [usize; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LEXT: [u32; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const DBASE: [usize; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DEXT: [u32; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];

struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    buf: u32,
    cnt: u32,
}

impl Bits<'_> {
    fn bits(&mut self, n: u32) -> Result<usize, String> {
        while self.cnt < n {
            let byte = *self.data.get(self.pos).ok_or("out of input")?;
            self.pos += 1;
            self.buf |= u32::from(byte) << self.cnt;
            self.cnt += 8;
        }
        let v = self.buf & ((1u32 << n) - 1);
        self.buf >>= n;
        self.cnt -= n;
        Ok(v as usize)
    }
}

struct Huffman {
    count: [usize; 16],
    symbol: Vec<usize>,
}

impl Huffman {
    fn new(lengths: &[usize]) -> Huffman {
        let mut count = [0; 16];
        for &l in lengths {
            count[l] += 1;
        }
        let mut offs = [0; 16];
        for len in 1..15 {
            offs[len + 1] = offs[len] + count[len];
        }
        let mut symbol = vec![0; lengths.len()];
        for (sym, &l) in lengths.iter().enumerate() {
            if l != 0 {
                symbol[offs[l]] = sym;
                offs[l] += 1;
            }
        }
        Huffman { count, symbol }
    }

    fn decode(&self, b: &mut Bits) -> Result<usize, String> {
        let (mut code, mut first, mut index) = (0usize, 0usize, 0usize);
        for len in 1..16 {
            code |= b.bits(1)?;
            let count = self.count[len];
            if code < first + count {
                return Ok(self.symbol[index + (code - first)]);
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        Err("bad code".into())
    }
}

pub(crate) fn inflate(data: &[u8]) -> Result<(Vec<u8>, usize), String> {
    let mut b = Bits {
        data,
        pos: 0,
        buf: 0,
        cnt: 0,
    };
    let mut out = Vec::new();
    let mut max_dist = 0;
    loop {
        if b.pos >= data.len() && b.cnt < 3 {
            return Ok((out, max_dist));
        }
        let last = b.bits(1)?;
        match b.bits(2)? {
            0 => {
                b.buf = 0;
                b.cnt = 0;
                let get = |i: usize| data.get(i).copied().ok_or("short stored block");
                let len = usize::from(get(b.pos)?) | usize::from(get(b.pos + 1)?) << 8;
                let nlen = usize::from(get(b.pos + 2)?) | usize::from(get(b.pos + 3)?) << 8;
                if len != !nlen & 0xffff {
                    return Err("stored length mismatch".into());
                }
                b.pos += 4;
                out.extend_from_slice(data.get(b.pos..b.pos + len).ok_or("short stored data")?);
                b.pos += len;
            }
            kind @ (1 | 2) => {
                let (lit, dist) = if kind == 1 {
                    let mut l = vec![8; 288];
                    l[144..256].fill(9);
                    l[256..280].fill(7);
                    (Huffman::new(&l), Huffman::new(&[5; 30]))
                } else {
                    let nlen = b.bits(5)? + 257;
                    let ndist = b.bits(5)? + 1;
                    let ncode = b.bits(4)? + 4;
                    const ORDER: [usize; 19] = [
                        16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
                    ];
                    let mut cl = [0; 19];
                    for &i in &ORDER[..ncode] {
                        cl[i] = b.bits(3)?;
                    }
                    let clh = Huffman::new(&cl);
                    let mut lengths = Vec::with_capacity(nlen + ndist);
                    while lengths.len() < nlen + ndist {
                        let sym = clh.decode(&mut b)?;
                        match sym {
                            0..=15 => lengths.push(sym),
                            16 => {
                                let prev = *lengths.last().ok_or("repeat with no length")?;
                                let n = 3 + b.bits(2)?;
                                lengths.extend(std::iter::repeat_n(prev, n));
                            }
                            17 => {
                                let n = 3 + b.bits(3)?;
                                lengths.extend(std::iter::repeat_n(0, n));
                            }
                            _ => {
                                let n = 11 + b.bits(7)?;
                                lengths.extend(std::iter::repeat_n(0, n));
                            }
                        }
                    }
                    (
                        Huffman::new(&lengths[..nlen]),
                        Huffman::new(&lengths[nlen..]),
                    )
                };
                loop {
                    let sym = lit.decode(&mut b)?;
                    if sym < 256 {
                        out.push(sym as u8);
                    } else if sym == 256 {
                        break;
                    } else {
                        let i = sym - 257;
                        let len = LBASE.get(i).ok_or("bad length")? + b.bits(LEXT[i])?;
                        let d = dist.decode(&mut b)?;
                        let distance = DBASE.get(d).ok_or("bad distance")? + b.bits(DEXT[d])?;
                        if distance > out.len() {
                            return Err("distance too far back".into());
                        }
                        max_dist = max_dist.max(distance);
                        for _ in 0..len {
                            out.push(out[out.len() - distance]);
                        }
                    }
                }
            }
            _ => return Err("bad block type".into()),
        }
        if last == 1 {
            return Ok((out, max_dist));
        }
    }
}
