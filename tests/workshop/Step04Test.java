package workshop;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Random;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.*;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

@Tag("step04")
@DisplayName("step04 forever-threaded")
@Execution(ExecutionMode.CONCURRENT)  // one server for all: a concurrent server should not mind
class Step04Test extends KeepAliveContract {
    /** With a short head deadline, for the error cases. */
    @RegisterExtension
    static final StepServer server = StepServer.of(launch -> launch.jvm(FAST_DEADLINE)).forContract();
    /** With the real 10 s deadline: a sequential server would stall on a silent client. */
    @RegisterExtension
    static final StepServer patient = StepServer.plain();

    @Test
    @DisplayName("serves forever: 100 requests in sequence all answered (through ./jbang, as the README says)")
    void manyRequestsThroughJbang() throws Exception {
        try (var viaJbang = server.launch("Server.java").args("0").viaJbang().start()) {
            for (int i = 0; i < 100; i++) {
                var response = Http.send(Http.request(viaJbang.port(), "/").build());
                assertEquals(200, response.statusCode());
                assertTrue(new String(response.body()).contains("<img src=\"/test.jpg\""));
            }
        }
    }

    @Test
    @DisplayName("3 connections opened first and sent in reverse order are all answered")
    void reverseOrder() throws Exception {
        var sockets = new ArrayList<Socket>();
        try {
            for (int i = 0; i < 3; i++) sockets.add(Http.connect(patient.port()));
            for (var socket : sockets.reversed()) {
                socket.setSoTimeout(5_000);  // a sequential server would wait 10 s for the first, silent, one
                socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
                assertEquals(200, Http.read(socket.getInputStream()).status());
            }
        } finally {
            for (var socket : sockets) socket.close();
        }
    }

    @Test
    @DisplayName("a silent connection does not delay another client's request")
    void silentDoesNotBlock() throws Exception {
        try (var silent = Http.connect(patient.port())) {
            try (var other = Http.connect(patient.port())) {
                other.setSoTimeout(5_000);
                other.getOutputStream().write("GET /test.jpg HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
                assertEquals(200, Http.read(other.getInputStream()).status());
            }
        }
    }

    @Test
    @DisplayName("the picture is served byte for byte as image/jpeg")
    void image() throws Exception {
        var response = Http.get(server.port(), "/test.jpg");
        assertEquals(200, response.status());
        assertEquals("image/jpeg", response.header("Content-Type"));
        assertArrayEquals(Files.readAllBytes(server.folder().resolve("test.jpg")), response.body());
    }

    @Test
    @DisplayName("anything else is 404, and the log says so (a browser's /favicon.ico)")
    void notFound() throws Exception {
        var response = Http.get(server.port(), "/favicon.ico");
        assertEquals(404, response.status());
        assertErrorPage(response);
        server.step().awaitLine(line -> line.contains("\"GET /favicon.ico HTTP/1.1\" 404 "), Duration.ofSeconds(5));
    }

    @Test
    @DisplayName("a burst of garbage and vanishing clients does not stop it")
    void garbageBurst() throws Exception {
        var random = new Random(4);
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            var results = new ArrayList<java.util.concurrent.Future<?>>();
            for (int i = 0; i < 200; i++) {
                var garbage = new byte[1 + random.nextInt(3000)];
                random.nextBytes(garbage);
                boolean vanish = i % 2 == 0;
                results.add(pool.submit(() -> {
                    try (var socket = Http.connect(server.port())) {
                        socket.getOutputStream().write(garbage);
                        if (vanish) socket.setSoLinger(true, 0);  // close with a reset, mid-request
                        else socket.getOutputStream().write("\r\n\r\n".getBytes());
                        if (!vanish) socket.getInputStream().readAllBytes();
                    }
                    return null;
                }));
            }
            for (var result : results) {
                try {
                    result.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    if (!(e.getCause() instanceof IOException)) throw e;  // a reset here is fine: the server lives on
                }
            }
        }
        assertEquals(200, Http.get(server.port(), "/").status());
        assertFalse(server.step().stderr().contains("Exception"), server.step()::output);
    }
}
