import module java.base;

/** What follows the head: a page in memory, an app's chunks, or a file an app hands back. Files pass 2 GiB: a long. */
interface Body extends Closeable {
    int BUFFER_SIZE = 64 * 1024;  // a file is sent a buffer at a time: a 3 GiB file costs 64 KiB
    Body EMPTY = new Bytes(new byte[0]);

    /** The length for Content-Length; -1 if unknown until the body ends. */
    long length();

    /** The bytes written, for the log. */
    default long sent() {
        return length();
    }

    void writeTo(OutputStream out) throws IOException;

    /** An app's body may hold a file or a process: the server closes it when done, whatever happened. */
    default void close() throws IOException {}

    record Bytes(byte[] bytes) implements Body {
        public long length() {
            return bytes.length;
        }

        public void writeTo(OutputStream out) throws IOException {
            out.write(bytes);
        }
    }

    /**
     * An app's body: its first chunk, already in hand, then the rest as the app yields them, each sent at once.
     * The length is the app's Content-Length, or the size of a body of one chunk, else -1. Closing it closes the
     * app's body.
     */
    record Chunks(byte[] first, Iterator<byte[]> rest, long length, Iterable<byte[]> body, AtomicLong count)
            implements Body {
        public long sent() {
            return count.get();
        }

        public void writeTo(OutputStream out) throws IOException {
            write(out, first);
            try {
                while (rest.hasNext()) write(out, rest.next());
            } catch (RuntimeException e) {  // the head is out: too late for a 500; the connection is reset instead
                e.printStackTrace();
                throw new IOException("the app failed after its response began: " + e.getMessage());
            }
            if (length >= 0 && count.get() < length)
                throw new EOFException("the app sent " + count + " of the " + length + " bytes it announced");
        }

        private void write(OutputStream out, byte[] chunk) throws IOException {
            if (length >= 0 && count.get() + chunk.length > length)
                throw new IOException("the app sent more than the " + length + " bytes it announced");
            out.write(chunk);
            out.flush();  // a chunk goes out when the app yields it, not when a buffer fills: a slow app streams
            count.addAndGet(chunk.length);
        }

        public void close() throws IOException {
            if (body instanceof Closeable closeable) closeable.close();
        }
    }

    /**
     * WSGI's wsgi.file_wrapper: an app turns a file into its body with environ's gateway.file_wrapper, and when the
     * server gets it back as it gave it, it sends the file as step 5 did, through one buffer. Seen through a
     * middleware that wraps the body, it is an Iterable like any other, read a chunk at a time.
     */
    final class FileWrapper implements Iterable<byte[]>, Body {
        private final Path file;
        private final long length;
        private InputStream in;  // opened by the first read

        private FileWrapper(Path file, long length) {
            this.file = file;
            this.length = length;
        }

        static Iterable<byte[]> of(Path file) {
            try {
                return new FileWrapper(file, Files.size(file));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        public long length() {
            return length;
        }

        public void writeTo(OutputStream out) throws IOException {
            var buffer = new byte[(int) Math.min(length, BUFFER_SIZE)];  // a 1 KiB file needs no 64 KiB buffer
            for (long left = length; left > 0; left -= buffer.length) {
                buffer = read(Math.min(left, BUFFER_SIZE), buffer);
                out.write(buffer);
            }
        }

        public Iterator<byte[]> iterator() {
            return new Iterator<>() {
                long left = length;

                public boolean hasNext() {
                    return left > 0;
                }

                public byte[] next() {
                    try {
                        var chunk = read(Math.min(left, BUFFER_SIZE), null);
                        left -= chunk.length;
                        return chunk;
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            };
        }

        /** The next size bytes of the file, into buffer if it has that size, else into a new array. */
        private byte[] read(long size, byte[] buffer) throws IOException {
            if (in == null) in = Files.newInputStream(file);
            var bytes = buffer != null && buffer.length == size ? buffer : new byte[(int) size];
            if (in.readNBytes(bytes, 0, bytes.length) < bytes.length)
                throw new EOFException(file.getFileName() + " got shorter while it was being sent");
            return bytes;
        }

        public void close() throws IOException {
            if (in != null) in.close();
        }
    }
}
