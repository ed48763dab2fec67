package workshop;

import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bounds on what a client can make a server hold with a request body (step 6's) and a response it never
 * reads (step 5's write deadline), checked alike for every step that reads bodies: a test class implements this
 * and names its server.
 */
@DisplayName("request-body bounds")
interface BodyBounds {
    /** The class's server, with its document root. */
    StepServer boundsServer();

    @Test
    @DisplayName("a body's memory follows the bytes received: 200 bodies announced at 1 MiB, one byte each, are all"
            + " held by a 48 MiB heap while a normal request is answered")
    default void memoryFollowsBytes() throws Exception {
        ResourceBounds.memoryFollowsBytes(boundsServer().launch("Server.java").args("0"));
    }

    @Test
    @DisplayName("the bodies being read share a budget (2 MiB here): past it, 503; when they are gone, a body is"
            + " taken again")
    default void bodyBudget() throws Exception {
        ResourceBounds.bodyBudget(boundsServer().launch("Server.java").args("0"));
    }

    @Test
    @DisplayName("the form's answer is capped: more than 100 fields get 413, a 1 MiB value of \" is echoed in a page"
            + " under 10 KB")
    default void formCaps() throws Exception {
        ResourceBounds.formCaps(boundsServer().port());
    }

    @Test
    @DisplayName("a client that never reads a 50 MiB file is cut off at the write deadline; one that reads gets it"
            + " all")
    default void writeDeadline(@TempDir Path dir) throws Exception {
        ResourceBounds.writeDeadline(boundsServer(), dir);
    }
}
