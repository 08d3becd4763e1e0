// A consumer over TLS, optionally authenticated with SASL, configured from the command line.
//
//   tls_consumer BOOTSTRAP TOPIC GROUP --ca CA.pem [--cert CLIENT.pem --key CLIENT.key [--key-password P]]
//                [--sasl PLAIN|SCRAM-SHA-256|SCRAM-SHA-512 --user U --password P]
//                [--no-hostname-check] [--plaintext] [--max N] [--timeout SECONDS] [key=value]...
//
// security.protocol is SSL, or SASL_SSL with --sasl (SASL_PLAINTEXT with --sasl --plaintext, for a
// broker without TLS). The broker's certificate is verified against CA.pem and, unless
// --no-hostname-check, its name against the host in BOOTSTRAP (Java's
// ssl.endpoint.identification.algorithm=https). --cert/--key present a client certificate (mutual TLS).
// The same settings work as consumer properties (ssl.ca.location, sasl.mechanism, ...) in any consumer.
//
// Output (stdout, one line each):
//   security: PROTOCOL [MECHANISM as USER]
//   record: TOPIC-P@OFFSET KEY=VALUE
//   done: N records
// Stops after N records (--max) or SECONDS (--timeout, default 60). Errors (a certificate that
// does not verify, a wrong password) go to stderr with exit status 1.
#include <kafka/consumer.hpp>

#include <chrono>
#include <cstdio>
#include <map>
#include <string>

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    auto usage = [] {
        std::fprintf(
            stderr,
            "usage: tls_consumer BOOTSTRAP TOPIC GROUP --ca CA.pem [--cert CLIENT.pem --key CLIENT.key "
            "[--key-password P]]\n"
            "                    [--sasl PLAIN|SCRAM-SHA-256|SCRAM-SHA-512 --user U --password P]\n"
            "                    [--no-hostname-check] [--plaintext] [--max N] [--timeout SECONDS] [key=value]...\n");
        return 2;
    };
    if (argc < 4) return usage();
    std::map<std::string, std::string> props{
        {"bootstrap.servers", argv[1]}, {"group.id", argv[3]}, {"auto.offset.reset", "earliest"}};
    std::string ca, cert, key, key_password, mechanism, user, password;
    bool tls = true, verify_hostname = true;
    long max = -1;
    int timeout_s = 60;
    for (int i = 4; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
            return argv[++i];
        };
        try {
            if (a == "--ca")
                ca = value();
            else if (a == "--cert")
                cert = value();
            else if (a == "--key")
                key = value();
            else if (a == "--key-password")
                key_password = value();
            else if (a == "--sasl")
                mechanism = value();
            else if (a == "--user")
                user = value();
            else if (a == "--password")
                password = value();
            else if (a == "--no-hostname-check")
                verify_hostname = false;
            else if (a == "--plaintext")
                tls = false;
            else if (a == "--max")
                max = std::stol(value());
            else if (a == "--timeout")
                timeout_s = std::stoi(value());
            else if (auto eq = a.find('='); eq != std::string::npos)
                props[a.substr(0, eq)] = a.substr(eq + 1);
            else
                throw std::invalid_argument("unknown argument '" + a + "'");
        } catch (const std::exception& e) {
            std::fprintf(stderr, "tls_consumer: %s\n", e.what());
            return usage();
        }
    }
    if (tls && ca.empty()) {
        std::fprintf(stderr, "tls_consumer: --ca is required (the CA that signed the broker's certificate)\n");
        return usage();
    }
    if (cert.empty() != key.empty()) {
        std::fprintf(stderr, "tls_consumer: --cert and --key go together\n");
        return usage();
    }
    if (!mechanism.empty() && user.empty()) {
        std::fprintf(stderr, "tls_consumer: --sasl needs --user and --password\n");
        return usage();
    }

    // The Java consumer's property names.
    std::string protocol = mechanism.empty() ? (tls ? "SSL" : "PLAINTEXT") : (tls ? "SASL_SSL" : "SASL_PLAINTEXT");
    props["security.protocol"] = protocol;
    if (tls) {
        props["ssl.ca.location"] = ca;
        if (!cert.empty()) props["ssl.certificate.location"] = cert, props["ssl.key.location"] = key;
        if (!key_password.empty()) props["ssl.key.password"] = key_password;
        if (!verify_hostname) props["ssl.endpoint.identification.algorithm"] = "";
    }
    if (!mechanism.empty()) {
        props["sasl.mechanism"] = mechanism;
        props["sasl.username"] = user;
        props["sasl.password"] = password;
    }

    try {
        kafka::KafkaConsumer<std::string, std::string> consumer{kafka::consumer_config(props)};
        if (mechanism.empty())
            std::printf("security: %s\n", protocol.c_str());
        else
            std::printf("security: %s %s as %s\n", protocol.c_str(), mechanism.c_str(), user.c_str());
        consumer.subscribe({argv[2]});
        long n = 0;
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
        while ((max < 0 || n < max) && std::chrono::steady_clock::now() < deadline) {
            for (auto const& r : consumer.poll(std::chrono::milliseconds(200))) {
                std::printf("record: %s-%d@%lld %s=%s\n", r.topic().c_str(), r.partition(),
                            static_cast<long long>(r.offset()), r.key().c_str(), r.value().c_str());
                ++n;
            }
        }
        std::printf("done: %ld records\n", n);
        consumer.close();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "tls_consumer: %s\n", e.what());
        return 1;
    }
}
