"""Top-level record census of an HPROF file: count and size of each tag, HEAP DUMP SEGMENT length spread.
    python3 hprof-records.py FILE"""
import collections, mmap, struct, sys
f = open(sys.argv[1], 'rb'); m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
end = m.find(b'\0'); idsize = struct.unpack('>I', m[end + 1:end + 5])[0]; pos = end + 1 + 4 + 8
cnt = collections.Counter(); size = collections.Counter(); segs = []
while pos + 9 <= len(m):
    tag = m[pos]; ln = struct.unpack('>I', m[pos + 5:pos + 9])[0]
    cnt[tag] += 1; size[tag] += ln
    if tag in (0x0c, 0x1c): segs.append(ln)
    pos += 9 + ln
print(m[:end].decode(), 'id size', idsize)
for t in sorted(cnt): print('tag 0x%02x: %d records, %d bytes' % (t, cnt[t], size[t]))
if segs:
    segs.sort(); print('heap segments: %d, min %d, median %d, max %d' % (len(segs), segs[0], segs[len(segs) // 2], segs[-1]))
