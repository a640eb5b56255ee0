// notify: alerts to chat, paging, SMS, email and webhooks with a lifecycle kept in Redis.
#pragma once

namespace ciutils::notify {

int run(int argc, char** argv);

}  // namespace ciutils::notify
