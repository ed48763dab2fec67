import module java.base;

/** What follows the head: a page in memory, a file on disk, a program's output. Files pass 2 GiB: a long. */
interface Body {
    int BUFFER_SIZE = 64 * 1024;  // a file is sent a buffer at a time: a 3 GiB file costs 64 KiB
    Body EMPTY = new Bytes(new byte[0]);

    /** The length for Content-Length; -1 if unknown until the body ends. */
    long length();

    /** The bytes written, for the log. */
    default long sent() {
        return length();
    }

    void writeTo(OutputStream out) throws IOException;

    record Bytes(byte[] bytes) implements Body {
        public long length() {
            return bytes.length;
        }

        public void writeTo(OutputStream out) throws IOException {
            out.write(bytes);
        }
    }

    /** A file, read and sent a buffer at a time: never whole in memory, and exactly the length we announced. */
    record FileBody(Path file, long length) implements Body {
        public void writeTo(OutputStream out) throws IOException {
            try (var in = Files.newInputStream(file)) {
                var buffer = new byte[(int) Math.min(length, BUFFER_SIZE)];  // a 1 KiB file needs no 64 KiB buffer
                for (long left = length; left > 0; ) {
                    int n = in.read(buffer, 0, (int) Math.min(left, buffer.length));
                    if (n == -1) throw new EOFException(file.getFileName() + " got shorter while it was being sent");
                    out.write(buffer, 0, n);
                    left -= n;
                }
            }
        }
    }
}
