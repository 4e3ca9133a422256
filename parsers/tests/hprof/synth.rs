//! SYNTHETIC HPROF writer for tests. No runtime here writes Android 1.0.3 dumps, several dumps in
//! one file, or a HEAP DUMP record longer than 4 GiB, so these are built byte by byte from the
//! HPROF spec. Nothing written here is a real JVM's output.

pub const T_OBJECT: u8 = 2;
pub const T_BYTE: u8 = 8;
pub const T_INT: u8 = 10;

/// Builds an HPROF file: top-level records, and heap sub-records collected into one segment.
pub struct Hprof {
    pub out: Vec<u8>,
    pub id: usize,
    heap: Vec<u8>,
    next_string: u64,
}

impl Hprof {
    pub fn new(version: &str, id: usize) -> Hprof {
        let mut out = format!("JAVA PROFILE {version}\0").into_bytes();
        out.extend((id as u32).to_be_bytes());
        out.extend(0u32.to_be_bytes());
        out.extend(1_700_000_000_000u64.to_be_bytes()[4..].iter());
        Hprof {
            out,
            id,
            heap: Vec::new(),
            next_string: 0x10_0000,
        }
    }
    pub fn put_id(buf: &mut Vec<u8>, id: usize, v: u64) {
        if id == 4 {
            buf.extend((v as u32).to_be_bytes());
        } else {
            buf.extend(v.to_be_bytes());
        }
    }
    pub fn record(&mut self, tag: u8, body: &[u8]) {
        self.record_with_len(tag, body, body.len() as u32);
    }
    /// A record whose u4 length field says `len` (for wrap and absurd-length tests).
    pub fn record_with_len(&mut self, tag: u8, body: &[u8], len: u32) {
        self.out.push(tag);
        self.out.extend(0u32.to_be_bytes());
        self.out.extend(len.to_be_bytes());
        self.out.extend_from_slice(body);
    }
    pub fn string(&mut self, s: &str) -> u64 {
        self.next_string += 1;
        let sid = self.next_string;
        let mut b = Vec::new();
        Self::put_id(&mut b, self.id, sid);
        b.extend(s.as_bytes());
        self.record(0x01, &b);
        sid
    }
    pub fn load_class(&mut self, serial: u32, class_id: u64, name: &str) {
        let sid = self.string(name);
        let mut b = serial.to_be_bytes().to_vec();
        Self::put_id(&mut b, self.id, class_id);
        b.extend(0u32.to_be_bytes());
        Self::put_id(&mut b, self.id, sid);
        self.record(0x02, &b);
    }
    fn hid(&mut self, v: u64) {
        let id = self.id;
        Self::put_id(&mut self.heap, id, v);
    }
    /// A CLASS DUMP with instance fields (name, type) and static reference fields (name, value).
    pub fn class_dump(
        &mut self,
        class_id: u64,
        super_id: u64,
        fields: &[(&str, u8)],
        statics: &[(&str, u64)],
    ) {
        let names: Vec<u64> = fields.iter().map(|f| self.string(f.0)).collect();
        let snames: Vec<u64> = statics.iter().map(|f| self.string(f.0)).collect();
        self.heap.push(0x20);
        self.hid(class_id);
        self.heap.extend(0u32.to_be_bytes());
        self.hid(super_id);
        for _ in 0..5 {
            self.hid(0);
        }
        let data: usize = fields
            .iter()
            .map(|f| if f.1 == T_OBJECT { self.id } else { 4 })
            .sum();
        self.heap.extend((data as u32).to_be_bytes());
        self.heap.extend(0u16.to_be_bytes());
        self.heap.extend((statics.len() as u16).to_be_bytes());
        for (k, s) in statics.iter().enumerate() {
            self.hid(snames[k]);
            self.heap.push(T_OBJECT);
            self.hid(s.1);
        }
        self.heap.extend((fields.len() as u16).to_be_bytes());
        for (k, f) in fields.iter().enumerate() {
            self.hid(names[k]);
            self.heap.push(f.1);
        }
    }
    /// An INSTANCE DUMP; `values` are the field values in dump order (refs at id size, ints at 4).
    pub fn instance(&mut self, obj: u64, class_id: u64, values: &[(u8, u64)]) {
        self.heap.push(0x21);
        self.hid(obj);
        self.heap.extend(0u32.to_be_bytes());
        self.hid(class_id);
        let mut data = Vec::new();
        for &(t, v) in values {
            if t == T_OBJECT {
                Self::put_id(&mut data, self.id, v);
            } else {
                data.extend((v as u32).to_be_bytes());
            }
        }
        self.heap.extend((data.len() as u32).to_be_bytes());
        self.heap.extend(data);
    }
    pub fn obj_array(&mut self, obj: u64, class_id: u64, elems: &[u64]) {
        self.heap.push(0x22);
        self.hid(obj);
        self.heap.extend(0u32.to_be_bytes());
        self.heap.extend((elems.len() as u32).to_be_bytes());
        self.hid(class_id);
        for &e in elems {
            self.hid(e);
        }
    }
    pub fn byte_array(&mut self, obj: u64, bytes: &[u8]) {
        self.heap.push(0x23);
        self.hid(obj);
        self.heap.extend(0u32.to_be_bytes());
        self.heap.extend((bytes.len() as u32).to_be_bytes());
        self.heap.push(T_BYTE);
        self.heap.extend_from_slice(bytes);
    }
    /// Android 0xC3: a primitive array whose data was not dumped.
    pub fn byte_array_nodata(&mut self, obj: u64, n: u32) {
        self.heap.push(0xC3);
        self.hid(obj);
        self.heap.extend(0u32.to_be_bytes());
        self.heap.extend(n.to_be_bytes());
        self.heap.push(T_BYTE);
    }
    /// A root with only an id (sticky class 0x05, unknown 0xFF, Android 0x89–0x8D, 0x90).
    pub fn root(&mut self, tag: u8, obj: u64) {
        self.heap.push(tag);
        self.hid(obj);
    }
    /// Android 0xFE HEAP DUMP INFO.
    pub fn heap_info(&mut self, heap_type: u32, name: &str) {
        let sid = self.string(name);
        self.heap.push(0xFE);
        self.heap.extend(heap_type.to_be_bytes());
        self.hid(sid);
    }
    /// Close the collected sub-records as one record (`tag` 0x0C or 0x1C), optionally stating a
    /// length modulo `wrap` as a writer with a u4 length overflow would.
    pub fn flush_heap(&mut self, tag: u8, wrap: Option<u64>) {
        let body = std::mem::take(&mut self.heap);
        let len = match wrap {
            Some(w) => (body.len() as u64 % w) as u32,
            None => body.len() as u32,
        };
        self.record_with_len(tag, &body, len);
    }
    pub fn end_dump(&mut self) {
        self.record(0x2C, &[]);
    }
}

/// A small heap: class Holder (static `INSTANCE`) → holder → `items` Object[] → 3 × Leaf → `data`
/// byte[]; a WeakRef (java.lang.ref.Reference subclass) whose `referent` is the only path to
/// `orphan`. Returns the writer with the segment still open so callers can add more.
pub fn small_heap(version: &str, id: usize) -> Hprof {
    let mut h = Hprof::new(version, id);
    h.load_class(1, 0x100, "java/lang/Object");
    h.load_class(2, 0x200, "com/acme/Holder");
    h.load_class(3, 0x300, "com/acme/Leaf");
    h.load_class(4, 0x400, "[Ljava/lang/Object;");
    h.load_class(5, 0x500, "java/lang/ref/Reference");
    h.load_class(6, 0x600, "com/acme/WeakRef");
    h.class_dump(0x100, 0, &[], &[]);
    h.class_dump(
        0x200,
        0x100,
        &[("items", T_OBJECT), ("count", T_INT)],
        &[("INSTANCE", 0x1000)],
    );
    h.class_dump(0x300, 0x100, &[("data", T_OBJECT)], &[]);
    h.class_dump(0x400, 0x100, &[], &[]);
    h.class_dump(0x500, 0x100, &[("referent", T_OBJECT)], &[]);
    h.class_dump(0x600, 0x500, &[], &[]);
    h.root(0x05, 0x200);
    h.root(0x05, 0x600);
    h.instance(0x1000, 0x200, &[(T_OBJECT, 0x2000), (T_INT, 3)]);
    h.obj_array(0x2000, 0x400, &[0x3000, 0x3100, 0x3200]);
    for (k, leaf) in [0x3000u64, 0x3100, 0x3200].into_iter().enumerate() {
        h.instance(leaf, 0x300, &[(T_OBJECT, 0x4000 + k as u64 * 0x100)]);
        h.byte_array(0x4000 + k as u64 * 0x100, &[7u8; 100]);
    }
    h.instance(0x5000, 0x600, &[(T_OBJECT, 0x6000)]);
    h.root(0x01, 0x5000);
    if id == 8 {
        h.heap.extend(0x5000u64.to_be_bytes()); // JNI global ref id
    } else {
        h.heap.extend(0x5000u32.to_be_bytes());
    }
    h.instance(0x6000, 0x300, &[(T_OBJECT, 0)]);
    h
}
