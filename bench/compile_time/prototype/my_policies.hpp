#pragma once
#include <kafka/consumer.hpp>
struct my_policies : kafka::default_policies {
    using assignor = kafka::assignors::cooperative_sticky;
    using offset_commit = kafka::commit::auto_commit;
};
