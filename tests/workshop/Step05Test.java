package workshop;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static workshop.Fixtures.SECRET;
import static workshop.Fixtures.symlink;

import java.io.*;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.*;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.*;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.*;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

@Tag("step05")
@DisplayName("step05 static-files")
@Execution(ExecutionMode.CONCURRENT)  // one server for all: the tests read the root, and write only their own files
class Step05Test extends KeepAliveContract {
    static final long BIG = (2L << 30) + (1 << 20);                // past 2 GiB: an int length would overflow
    static final byte[] ALL_BYTES = allBytes();
    static final DateTimeFormatter HTTP_DATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.ROOT).withZone(ZoneOffset.UTC);

    @TempDir
    static Path parent;    // holds the sentinel files, beside the document root
    static Path root;      // the document root the shared server is given with -d
    static boolean unicodeNames;  // false where the JVM cannot name non-ASCII files (Linux with LANG=C)
    static boolean markupNames;   // false where "<" is not allowed in a name (Windows)

    /** A heap smaller than the big file: only a server that streams can send it. */
    @RegisterExtension
    static final StepServer server = StepServer.of(launch -> launch.args("-d", documentRoot().toString())
            .jvm(FAST_DEADLINE, "-Xmx64m")).forContract();

    /** The files the tests ask for, made before the server starts: they depend on what this platform can name. */
    static synchronized Path documentRoot() throws IOException {
        if (root != null) return root;  // made once: a test may start another server on it
        Files.writeString(parent.resolve("sentinel"), SECRET);
        Files.writeString(Files.createDirectories(parent.resolve("outside")).resolve("sentinel"), SECRET);
        var www2 = Files.createDirectories(parent.resolve("www2"));  // "www2" starts with "www"
        Files.writeString(www2.resolve("sentinel"), SECRET);
        var root = Files.createDirectories(parent.resolve("www"));
        var docs = Files.createDirectories(root.resolve("docs"));
        Files.writeString(docs.resolve("read me.txt"), "a name with a space\n");
        markupNames = create(docs, "<script>.txt", "a name with markup\n");
        Files.writeString(docs.resolve(".hidden-note"), SECRET);
        Files.writeString(Files.createDirectories(docs.resolve("sub")).resolve("deep.txt"), "deeper\n");
        unicodeNames = create(docs, "你好.txt", "你好，世界 👋🌏\n");
        if (unicodeNames) Files.createDirectories(root.resolve("文件夹"));
        var site = Files.createDirectories(root.resolve("site"));
        Files.writeString(site.resolve("index.html"), "<h1>the site's index</h1>\n");
        Files.createDirectories(root.resolve("evil.example"));  // a server collapsing //evil.example finds a folder
        Files.createDirectories(root.resolve("types"));  // each contentTypes case puts its own file there
        Files.write(root.resolve("bytes.bin"), ALL_BYTES);
        try (var big = new RandomAccessFile(root.resolve("big.bin").toFile(), "rw")) {
            big.setLength(BIG);  // sparse where the file system allows: no disk space, reads as zeros
        }
        Files.writeString(root.resolve(".hidden"), SECRET);
        Files.writeString(Files.createDirectories(root.resolve(".git")).resolve("config"), SECRET);
        symlink(root.resolve("symlink-out"), Path.of("..", "outside"));
        symlink(root.resolve("link-to-sentinel"), Path.of("..", "sentinel"));
        symlink(root.resolve("link-to-www2"), Path.of("..", "www2"));
        symlink(root.resolve("link-to-hidden"), Path.of(".git"));
        var unreadable = Files.writeString(root.resolve("unreadable.txt"), SECRET);
        if (Files.getFileStore(unreadable).supportsFileAttributeView("posix"))
            Files.setPosixFilePermissions(unreadable, PosixFilePermissions.fromString("---------"));
        try {
            new ProcessBuilder("mkfifo", root.resolve("fifo").toString()).start().waitFor();
        } catch (IOException e) {
            // no mkfifo (Windows): the FIFO test is skipped
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Fixtures.copyTree(server.folder().resolve("www"), Files.createDirectories(root.resolve("browser")));
        return Step05Test.root = root;
    }

    /** The step's own page, its picture and stylesheet, in a folder of the root the tests made. */
    @Override
    protected String browserPage() {
        return "/browser/";
    }

    /** Creates a file with this name, if the platform allows the name. */
    static boolean create(Path dir, String name, String text) throws IOException {
        try {
            Files.writeString(dir.resolve(name), text);
            return true;
        } catch (InvalidPathException e) {
            return false;
        }
    }

    static byte[] allBytes() {
        var out = new ByteArrayOutputStream();
        for (int i = 0; i < 256; i++) out.write(i);
        out.writeBytes("\r\n\r\nHTTP/1.1 200 OK\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));  // a blank line in it
        for (int i = 255; i >= 0; i--) out.write(i);
        return out.toByteArray();
    }

    /** A HEAD asking to close, as Http.get does, so that the two answers have the same header fields. */
    static Http.Response head(String target) throws IOException {
        return Http.exchange(server.port(), "HEAD " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    }

    static String folder(String target) throws IOException {
        var response = Http.get(server.port(), target);
        assertEquals(200, response.status(), response::toString);
        assertEquals("text/html; charset=utf-8", response.header("Content-Type"));
        return response.text();
    }

    // ---- folders: index.html, listings, redirects

    @Test
    @DisplayName("a folder with index.html serves it")
    void folderIndex() throws Exception {
        assertEquals("<h1>the site's index</h1>\n", folder("/site/"));
    }

    static final Pattern LINK = Pattern.compile("<a href=\"([^\"]*)\">([^<]*)</a>");

    @Test
    @DisplayName("a folder without index.html is listed: sorted, escaped, encoded, folders with /, a link up,"
            + " no hidden files")
    void listing() throws Exception {
        var page = folder("/docs/");
        var links = LINK.matcher(page).results().map(m -> m.group(1) + " " + m.group(2)).toList();
        var expected = new ArrayList<String>();
        if (markupNames) expected.add("%3Cscript%3E.txt &lt;script&gt;.txt");
        expected.addAll(List.of("read%20me.txt read me.txt", "sub/ sub/"));
        if (unicodeNames) expected.add("%E4%BD%A0%E5%A5%BD.txt 你好.txt");
        assertEquals("../ ../", links.getFirst(), () -> Show.brief(page));
        // Sorted by name, or folders first and then sorted (exercise 4 lists them like python3 -m http.server).
        var listed = links.subList(1, links.size());
        var foldersFirst = Stream.concat(expected.stream().filter(link -> link.endsWith("/")),
                expected.stream().filter(link -> !link.endsWith("/"))).toList();
        assertTrue(listed.equals(expected) || listed.equals(foldersFirst),
                () -> "expected " + expected + ", or with the folders first\nbut got " + listed);
        assertFalse(page.contains("<script>"), () -> "a file name must be shown as text: " + Show.brief(page));
        assertFalse(page.contains(".hidden"), () -> Show.brief(page));

        var top = folder("/");
        assertFalse(top.contains("href=\"../\""), () -> "no link above the root: " + Show.brief(top));
        assertTrue(top.contains("<a href=\"docs/\">docs/</a>"), () -> Show.brief(top));
        assertFalse(top.contains(".git") || top.contains(".hidden"), () -> Show.brief(top));
    }

    @Test
    @DisplayName("a real client follows every link of a listing (percent-encoding round-trips)")
    void listingInRealClient() throws Exception {
        var base = URI.create("http://127.0.0.1:" + server.port() + "/docs/");
        var listing = Http.send(Http.request(server.port(), "/docs/").build());
        var page = new String(listing.body(), StandardCharsets.UTF_8);
        var links = LINK.matcher(page).results().map(m -> m.group(1)).toList();
        assertTrue(links.size() >= 3, links::toString);
        for (var link : links) {
            var uri = base.resolve(link);
            var response = Http.send(Http.request(server.port(), uri.getRawPath()).build());
            assertEquals(200, response.statusCode(), uri::toString);
            var file = root.resolve(uri.getPath().substring(1));  // the client's URI, decoded: the name on disk
            if (Files.isRegularFile(file)) assertArrayEquals(Files.readAllBytes(file), response.body(), uri.toString());
        }
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "/docs                | /docs/",
            "/docs?a=1&b=%2F      | /docs/?a=1&b=%2F",
            "/docs/sub?x#frag     | /docs/sub/?x",
            "/d%6Fcs              | /docs/",
            "/evil.example        | /evil.example/",
            "/%E6%96%87%E4%BB%B6%E5%A4%B9 | /%E6%96%87%E4%BB%B6%E5%A4%B9/"})
    @DisplayName("a folder without its slash gets 301 to the slash, the query kept")
    void folderRedirect(String target, String location) throws Exception {
        assumeTrue(unicodeNames || !target.contains("%E6"), "this JVM cannot name non-ASCII files");
        var response = Http.get(server.port(), target);
        assertEquals(301, response.status(), response::toString);
        assertEquals(location, response.header("Location"));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"//evil.example", "//evil.example/", "/%2Fevil.example", "/%2F%2Fevil.example",
            "///evil.example", "/\\evil.example", "/%5Cevil.example", "/./evil.example", "/docs/..//evil.example",
            "/evil.example"})
    @DisplayName("a redirect never leads to another host")
    void redirectStaysHere(String target) throws Exception {
        var response = Http.get(server.port(), target);
        if (response.status() == 301) {
            var location = response.header("Location");
            assertTrue(location.matches("/[^/\\\\].*"), "Location must be a path on this server: " + location);
        } else {
            assertTrue(Set.of(400, 404).contains(response.status()), response::toString);
        }
    }

    // ---- files

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "page.html      | text/html; charset=utf-8",
            "old.htm        | text/html; charset=utf-8",
            "Page.HTML      | text/html; charset=utf-8",
            "style.css      | text/css; charset=utf-8",
            "app.js         | text/javascript; charset=utf-8",
            "data.json      | application/json",
            "notes.md       | text/markdown; charset=utf-8",
            "table.csv      | text/csv; charset=utf-8",
            "pic.svg        | image/svg+xml",
            "pic.png        | image/png",
            "pic.jpg        | image/jpeg",
            "pic.jpeg       | image/jpeg",
            "pic.gif        | image/gif",
            "SHOUT.GIF      | image/gif",
            "favicon.ico    | image/vnd.microsoft.icon",
            "pic.webp       | image/webp",
            "doc.pdf        | application/pdf",
            "mod.wasm       | application/wasm",
            "README         | application/octet-stream",
            "archive.tar.gz | application/octet-stream"})
    @DisplayName("Content-Type comes from the extension, by our own table")
    void contentTypes(String name, String type) throws Exception {
        Files.writeString(root.resolve("types").resolve(name), "x");
        var response = Http.get(server.port(), "/types/" + name);
        assertEquals(200, response.status(), response::toString);
        assertEquals(type, response.header("Content-Type"));
    }

    @Test
    @DisplayName("a binary file arrives byte for byte (all 256 values, and an empty line inside), and is logged"
            + " with its size")
    void binaryExact() throws Exception {
        var response = Http.get(server.port(), "/bytes.bin");
        assertEquals(200, response.status(), response::toString);
        assertEquals("application/octet-stream", response.header("Content-Type"));
        assertEquals(String.valueOf(ALL_BYTES.length), response.header("Content-Length"));
        assertArrayEquals(ALL_BYTES, response.body());
        var log = "\"GET /bytes.bin HTTP/1.1\" 200 " + ALL_BYTES.length;
        server.step().awaitLine(line -> line.endsWith(log), Duration.ofSeconds(5));
    }

    @Test
    @DisplayName("names with a space and in UTF-8, asked for by their percent-encoded URLs")
    void encodedNames() throws Exception {
        var spaced = Http.send(Http.request(server.port(), "/docs/read%20me.txt").build());
        assertEquals(200, spaced.statusCode());
        assertEquals("a name with a space\n", new String(spaced.body(), StandardCharsets.UTF_8));
        assumeTrue(unicodeNames, "this JVM cannot name non-ASCII files");
        var chinese = Http.send(Http.request(server.port(), "/docs/%E4%BD%A0%E5%A5%BD.txt").build());
        assertEquals(200, chinese.statusCode());
        assertEquals("text/plain; charset=utf-8", chinese.headers().firstValue("Content-Type").orElseThrow());
        assertEquals("你好，世界 👋🌏\n", new String(chinese.body(), StandardCharsets.UTF_8));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"/bytes.bin", "/docs/", "/docs", "/nope"})
    @DisplayName("HEAD gets exactly GET's headers (but Date), and no body")
    void headEqualsGet(String target) throws Exception {
        var get = Http.get(server.port(), target);
        var head = head(target);
        assertEquals(get.statusLine(), head.statusLine());
        assertEquals(withoutDate(get.headers()), withoutDate(head.headers()));
        assertEquals(0, head.body().length);
    }

    static Map<String, List<String>> withoutDate(Map<String, List<String>> headers) {
        var copy = new TreeMap<String, List<String>>(String.CASE_INSENSITIVE_ORDER);
        copy.putAll(headers);
        copy.remove("Date");
        return copy;
    }

    @Test
    @DisplayName("Last-Modified, and If-Modified-Since: 304 when the file is not newer; a bad date is ignored")
    void conditionalGet() throws Exception {
        var modified = Files.getLastModifiedTime(root.resolve("bytes.bin")).toInstant().truncatedTo(ChronoUnit.SECONDS);
        var lastModified = Http.get(server.port(), "/bytes.bin").header("Last-Modified");
        assertEquals(HTTP_DATE.format(modified), lastModified, "an IMF-fixdate, to the second");
        for (var since : List.of(lastModified, HTTP_DATE.format(modified.plus(Duration.ofDays(1))))) {
            var response = getIfModifiedSince(since);
            assertEquals(304, response.status(), response::toString);
            assertEquals(0, response.body().length, "a 304 has no body");
            var length = response.header("Content-Length");  // if sent at all, it must be the file's (RFC 9110 §8.6)
            assertTrue(length == null || length.equals(String.valueOf(ALL_BYTES.length)), "Content-Length: " + length);
        }
        var older = HTTP_DATE.format(modified.minusSeconds(1));
        for (var since : List.of(older, "yesterday", "Mon, 99 Nov 2026 25:61:00 GMT")) {
            var response = getIfModifiedSince(since);
            assertEquals(200, response.status(), since);
            assertArrayEquals(ALL_BYTES, response.body(), since);
        }
    }

    static Http.Response getIfModifiedSince(String since) throws IOException {
        return Http.exchange(server.port(),
                "GET /bytes.bin HTTP/1.1\r\nHost: x\r\nIf-Modified-Since: " + since + "\r\n\r\n");
    }

    @Test
    @DisplayName("a file over 2 GiB is streamed whole (Content-Length a long, the server's heap 64 MiB), and the"
            + " connection serves on")
    void largeFile() throws Exception {
        assertEquals(String.valueOf(BIG), head("/big.bin").header("Content-Length"));
        try (var connection = Http.Connection.open(server.port())) {
            connection.send("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
            var in = connection.in();
            var response = Http.parse(Http.readHead(in).getBytes(StandardCharsets.ISO_8859_1));
            assertEquals(200, response.status(), response::toString);
            assertEquals(String.valueOf(BIG), response.header("Content-Length"));
            long received = 0;
            var buffer = new byte[1 << 20];  // counted, not kept
            for (int n; received < BIG; received += n) {
                n = in.read(buffer, 0, (int) Math.min(buffer.length, BIG - received));
                if (n == -1) break;
            }
            assertEquals(BIG, received, "body bytes received");
            var next = connection.send("GET /bytes.bin HTTP/1.1\r\nHost: x\r\n\r\n").read();  // after 2 GiB, in step
            assertArrayEquals(ALL_BYTES, next.body(), "the next request on the connection");
        }
        server.step().awaitLine(line -> line.endsWith("\"GET /big.bin HTTP/1.1\" 200 " + BIG), Duration.ofSeconds(5));
    }

    @Test
    @DisplayName("a client that never reads a 50 MiB file is cut off at the write deadline (0.5 s here), freeing the"
            + " server's thread, socket and file; one that reads gets it all")
    void writeDeadline(@TempDir Path dir) throws Exception {
        ResourceBounds.writeDeadline(server, dir);
    }

    // ---- what must not be served

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"/nope", "/docs/nope/", "/docs/read%20me.txt/", "/bytes.bin/", "/bytes.bin/x",
            "/%252e%252e/sentinel"})
    @DisplayName("no such file (or a file asked for as a folder) is 404")
    void notFound(String target) throws Exception {
        var response = Http.get(server.port(), target);
        assertEquals(404, response.status(), response::toString);
        assertErrorPage(response);
    }

    @Test
    @DisplayName("a file we may not read is 403")
    void unreadable() throws Exception {
        assumeTrue(!Files.isReadable(root.resolve("unreadable.txt")),
                "this user reads every file (root, or no POSIX permissions)");
        var response = Http.get(server.port(), "/unreadable.txt");
        assertEquals(403, response.status(), response::toString);
        assertErrorPage(response);
    }

    @Test
    @DisplayName("a FIFO is not opened (that would block): 403 or 404 at once")
    void fifo() throws Exception {
        var fifo = root.resolve("fifo");
        assumeTrue(Files.exists(fifo) && !Files.isRegularFile(fifo), "no FIFO here (mkfifo missing)");
        try (var socket = Http.connect(server.port())) {
            socket.setSoTimeout(3_000);
            var request = "GET /fifo HTTP/1.1\r\nHost: x\r\n\r\n";
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            var response = Http.read(socket.getInputStream());
            assertTrue(Set.of(403, 404).contains(response.status()), response::toString);
        }
    }

    record Attempt(String target, Set<Integer> statuses) {
        @Override
        public String toString() {
            return target + " -> " + statuses;
        }
    }

    /** Each way out of the root we know, and each with a trailing slash (a folder's spelling). */
    static Stream<Attempt> traversals() {
        var outOfRoot = Set.of(400, 403, 404);
        var throughSymlink = Set.of(403, 404);  // a well-formed path: only the real path's check stops it
        return Stream.of(
                        new Attempt("/../sentinel", outOfRoot),
                        new Attempt("/%2e%2e/sentinel", outOfRoot),
                        new Attempt("/%2E%2E%2Fsentinel", outOfRoot),
                        new Attempt("/..%2fsentinel", outOfRoot),
                        new Attempt("/..%5csentinel", outOfRoot),
                        new Attempt("/..\\sentinel", outOfRoot),
                        new Attempt("/%c0%ae%c0%ae/sentinel", outOfRoot),
                        new Attempt("/%e0%80%ae%e0%80%ae/sentinel", outOfRoot),
                        new Attempt("/..%c0%afsentinel", outOfRoot),
                        new Attempt("/%252e%252e/sentinel", outOfRoot),
                        new Attempt("/docs/../../sentinel", outOfRoot),
                        new Attempt("/docs/%2e%2e/%2e%2e/sentinel", outOfRoot),
                        new Attempt("/./.././sentinel", outOfRoot),
                        new Attempt("/..", outOfRoot),
                        new Attempt("/%2e%2e", outOfRoot),
                        new Attempt("/..;/sentinel", outOfRoot),
                        new Attempt("//etc/passwd", outOfRoot),
                        new Attempt("/%2Fetc%2Fpasswd", outOfRoot),
                        new Attempt(parent.resolve("sentinel").toUri().getRawPath(), outOfRoot),  // the absolute path
                        new Attempt("/%00", outOfRoot),
                        new Attempt("/a%00.html", outOfRoot),
                        new Attempt("/bytes.bin%00.html", outOfRoot),
                        new Attempt("/C:/Windows/win.ini", outOfRoot),
                        new Attempt("/C:%5CWindows%5Cwin.ini", outOfRoot),
                        new Attempt("/%zz", outOfRoot),
                        new Attempt("/%4", outOfRoot),
                        new Attempt("http://127.0.0.1/../sentinel", outOfRoot),  // absolute-form
                        new Attempt("/.hidden", outOfRoot),
                        new Attempt("/%2ehidden", outOfRoot),
                        new Attempt("/.git/config", outOfRoot),
                        new Attempt("/docs/.hidden-note", outOfRoot),
                        new Attempt("/symlink-out/sentinel", throughSymlink),
                        new Attempt("/symlink-out", throughSymlink),
                        new Attempt("/link-to-sentinel", throughSymlink),
                        new Attempt("/link-to-www2/sentinel", throughSymlink),
                        new Attempt("/link-to-hidden/config", throughSymlink))
                .flatMap(a -> a.target().endsWith("/") ? Stream.of(a)
                        : Stream.of(a, new Attempt(a.target() + "/", a.statuses())));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("traversals")
    @DisplayName("no path leaves the document root: the sentinel outside it never appears")
    void traversal(Attempt attempt) throws Exception {
        var response = Http.get(server.port(), attempt.target());  // a raw socket: sent exactly as written
        assertTrue(attempt.statuses().contains(response.status()), response::toString);
        var raw = response.statusLine() + response.headers() + new String(response.body(), StandardCharsets.ISO_8859_1);
        assertFalse(raw.contains(SECRET), "the response holds a file from outside the root: " + response);
        assertErrorPage(response);
    }

    // ---- the default root, and the command line

    @ParameterizedTest(name = "run from {0}")
    @ValueSource(strings = {"the repository root", "the step's folder"})
    @DisplayName("without -d, it serves the step's www/, not the current folder")
    void defaultRoot(String from) throws Exception {
        var www = server.folder().resolve("www");
        var dir = from.equals("the repository root") ? Step.root() : server.folder();
        try (var step = server.launch("Server.java").args("0").in(dir).start()) {
            var index = Http.get(step.port(), "/");
            assertEquals(200, index.status(), step::output);
            assertArrayEquals(Files.readAllBytes(www.resolve("index.html")), index.body());
            assertArrayEquals(Files.readAllBytes(www.resolve("test.jpg")), Http.get(step.port(), "/test.jpg").body());
            assertEquals(404, Http.get(step.port(), "/Server.java").status(), "the step's folder is not published");
            assertEquals(404, Http.get(step.port(), "/.git/config").status());
        }
    }

    @Test
    @DisplayName("through ./jbang, as the README says: the page, its picture, the docs/ listing")
    void throughJbang() throws Exception {
        var www = server.folder().resolve("www");
        try (var step = server.launch("Server.java").args("0").viaJbang().start()) {
            var page = Http.send(Http.request(step.port(), "/").build());
            assertEquals(200, page.statusCode(), step::output);
            assertArrayEquals(Files.readAllBytes(www.resolve("index.html")), page.body());
            assertTrue(new String(page.body(), StandardCharsets.UTF_8).contains("<img src=\"test.jpg\""));
            var picture = Http.send(Http.request(step.port(), "/test.jpg").build());
            assertEquals("image/jpeg", picture.headers().firstValue("Content-Type").orElseThrow());
            assertArrayEquals(Files.readAllBytes(www.resolve("test.jpg")), picture.body());
            var docs = Http.sendText(Http.request(step.port(), "/docs/").build()).body();
            assertTrue(docs.contains("<a href=\"read%20me.txt\">read me.txt</a>"), () -> Show.brief(docs));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"-d to a missing folder", "-d to a file", "-d without a folder", "no -d, and no www/ here"})
    @DisplayName("a bad document root: Error: and exit 2")
    void badRoot(String what) throws Exception {
        var here = Files.createTempDirectory(parent, "elsewhere");
        var launch = server.launch("Server.java").in(here);
        launch = switch (what) {
            case "-d to a missing folder" -> launch.args("0", "-d", here.resolve("missing").toString());
            case "-d to a file" -> launch.args("0", "-d", root.resolve("bytes.bin").toString());
            case "-d without a folder" -> launch.args("0", "-d");
            default -> launch.args("0");
        };
        try (var step = launch.start()) {
            assertEquals(2, step.awaitExit(Duration.ofSeconds(20)), step::output);
            assertTrue(step.stderr().startsWith("Error: "), step::output);
            assertFalse(step.stderr().contains("Exception"), step::output);
            if (what.startsWith("no -d"))
                assertTrue(step.stderr().startsWith("Error: no www/ folder here: run from the repository root or "
                        + "step05-static-files/, or pass -d DIR\n"), step::output);
        }
    }
}
