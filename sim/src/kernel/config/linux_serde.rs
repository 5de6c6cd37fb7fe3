//! `Behaviours` as an object of its answers (the model crate has no serde, by design).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use simkern_model::linux::Behaviours;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Answers {
    listen_after_connect_einval: bool,
    connect_after_listen_einval: bool,
    eventfd_long_write_einval: bool,
    /// Added after seed files were written: absent means the newest kernel's answer.
    #[serde(default = "newer")]
    epoll_ioctl_einval: bool,
}

fn newer() -> bool {
    true
}

pub fn serialize<S: Serializer>(b: &Behaviours, s: S) -> Result<S::Ok, S::Error> {
    Answers {
        listen_after_connect_einval: b.listen_after_connect_einval,
        connect_after_listen_einval: b.connect_after_listen_einval,
        eventfd_long_write_einval: b.eventfd_long_write_einval,
        epoll_ioctl_einval: b.epoll_ioctl_einval,
    }
    .serialize(s)
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Behaviours, D::Error> {
    let a = Answers::deserialize(d)?;
    Ok(Behaviours {
        listen_after_connect_einval: a.listen_after_connect_einval,
        connect_after_listen_einval: a.connect_after_listen_einval,
        eventfd_long_write_einval: a.eventfd_long_write_einval,
        epoll_ioctl_einval: a.epoll_ioctl_einval,
    })
}
