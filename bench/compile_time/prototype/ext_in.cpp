// Does extern template spare a TU the instantiation? (ext_in: see README.md)
#include <regex>
#include <string>
template <class T>
struct S {
    bool f(const std::string& s) {
        std::basic_regex<T> r(s);
        return std::regex_match(s, r);
    }
};
extern template struct S<char>;
int main() {
    S<char> s;
    return s.f("a");
}
