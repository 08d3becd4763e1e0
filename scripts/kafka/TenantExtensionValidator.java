// Server callback handler for the OAUTH listener of scripts/kafka-broker.sh (single-node clusters).
//
// Kafka's unsecured validator, the default when no handler is configured, accepts every SASL
// extension a client sends, so a client test cannot tell whether its extensions reached the broker.
// This subclass keeps the unsecured token checks (alg=none, expiry, principal claim) and accepts every
// extension except one: "tenant" must be "kafka-cpp". Any other tenant fails the authentication with
// Kafka's own message, "Authentication failed: 1 extensions are invalid! They are: tenant: unknown tenant".
//
// kafka-broker.sh compiles it against the broker's own jars (one jar per Kafka version under
// .cache/rig/) and sets listener.name.oauth.oauthbearer.sasl.server.callback.handler.class to it.
// The superclass lives in an "internals" package, but it has the same name and interface in 3.9 and 4.x.
package kafkacpp.rig;

import java.util.Map;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.UnsupportedCallbackException;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerExtensionsValidatorCallback;
import org.apache.kafka.common.security.oauthbearer.internals.unsecured.OAuthBearerUnsecuredValidatorCallbackHandler;

public class TenantExtensionValidator extends OAuthBearerUnsecuredValidatorCallbackHandler {
    static final String TENANT_EXTENSION = "tenant";
    static final String KNOWN_TENANT = "kafka-cpp";

    @Override
    public void handle(Callback[] callbacks) throws UnsupportedCallbackException {
        for (Callback callback : callbacks) {
            if (callback instanceof OAuthBearerExtensionsValidatorCallback) {
                checkExtensions((OAuthBearerExtensionsValidatorCallback) callback);
            } else {
                // token validation (and the error for anything unknown) stays the superclass's
                super.handle(new Callback[] {callback});
            }
        }
    }

    // An extension left neither valid nor in error would be dropped silently by the SASL server,
    // so every accepted one is marked valid: it then shows up in the session's extensions.
    private static void checkExtensions(OAuthBearerExtensionsValidatorCallback callback) {
        for (Map.Entry<String, String> extension : callback.inputExtensions().map().entrySet()) {
            String name = extension.getKey();
            if (TENANT_EXTENSION.equals(name) && !KNOWN_TENANT.equals(extension.getValue())) {
                callback.error(name, "unknown tenant");
            } else {
                callback.valid(name);
            }
        }
    }
}
