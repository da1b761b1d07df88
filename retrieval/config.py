"""Settings, from the environment (REPORTBOT_*) and `.env`. Built once in main() and passed down."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from retrieval.index import EngineName, Variant
from retrieval.paths import PACKAGE_DATA, default_data_dir

RANK_BM25_VARIANTS = ("robertson", "bm25+")  # see retrieval.index._RANK_BM25
_TOKEN = re.compile(r"^\d{5,}:[A-Za-z0-9_-]{30,}$")
_AES_KEY = re.compile(r"^[A-Za-z0-9+/]{43}$")
_ORIGIN = re.compile(r"^(https://[^/?#@\s]+|http://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?)$")


class Settings(BaseSettings):
    """Everything configurable. Fields map to REPORTBOT_<NAME> environment variables."""

    model_config = SettingsConfigDict(
        env_prefix="REPORTBOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # Where the database and the index live; the bundled reports seed a new database.
    data_dir: Path = Field(default_factory=default_data_dir)
    bundled_reports: Path = PACKAGE_DATA / "reports"

    # Retrieval
    engine: EngineName = "bm25s"
    # With engine xapian: the xapian-tcpsrv shards (host:port, comma-separated, in the order
    # `python -m retrieval.xapian_index --shards N` wrote them) to search instead of an index
    # built in memory.
    xapian_shards: Annotated[tuple[tuple[str, int], ...], NoDecode] = ()
    bm25_variant: Variant = "lucene"
    bm25_k1: float = Field(1.2, gt=0)
    bm25_b: float = Field(0.75, ge=0, le=1)
    results_per_page: int = Field(3, ge=1, le=10)

    # Telegram
    telegram_token: SecretStr | None = None
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    api_base_url: str = "https://api.telegram.org/bot"
    api_base_file_url: str = "https://api.telegram.org/file/bot"
    max_upload_mb: float = Field(10, gt=0)
    # Internal document servers an admin's link may be fetched from (host names, addresses or
    # CIDR networks, comma-separated); every other non-public address is refused.
    fetch_allow: Annotated[tuple[str, ...], NoDecode] = ()
    user_rate_per_minute: int = Field(20, ge=1)  # questions one user may ask in a minute
    rate_limiter: bool = True  # AIORateLimiter, for Telegram's flood limits
    # How long a Bot API call is retried through 5xx, 429 and network errors before it is given up.
    send_retry_seconds: float = Field(60, gt=0)
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = Field(8443, ge=1, le=65535)
    webhook_path: str = "telegram"
    # Checked on every webhook call; when unset, `serve --webhook` makes one for the run.
    webhook_secret: SecretStr | None = None

    # DingTalk (钉钉): the app's AppKey (Client ID) and AppSecret (Client Secret); the OpenAPI
    # base URL, where Stream mode opens its connection (/v1.0/gateway/connections/open);
    # admins by staff id; the outgoing-robot HTTP mode's address.
    dingtalk_client_id: str = ""
    dingtalk_client_secret: SecretStr | None = None
    dingtalk_api_base_url: str = "https://api.dingtalk.com"
    # The older OpenAPI host, where files are uploaded (/media/upload) to be sent.
    dingtalk_oapi_base_url: str = "https://oapi.dingtalk.com"
    # An interactive card template (卡片平台) with the variables title, markdown and buttons
    # (README): set, a reply's buttons come as a card whose presses call back (Stream mode).
    dingtalk_card_template_id: str = ""
    dingtalk_admin_ids: Annotated[frozenset[str], NoDecode] = frozenset()
    dingtalk_http_listen: str = "0.0.0.0"
    dingtalk_http_port: int = Field(8444, ge=1, le=65535)
    dingtalk_http_path: str = "dingtalk"
    # Where answers may be posted: a message's sessionWebhook must be under one of these origins
    # (DingTalk's own hosts; name a relay's https origin instead where one sits between), and
    # its address must be public unless REPORTBOT_DINGTALK_PRIVATE_ALLOW names it (host names,
    # addresses or CIDR networks, as for REPORTBOT_FETCH_ALLOW).
    dingtalk_reply_origins: Annotated[tuple[str, ...], NoDecode] = (
        "https://oapi.dingtalk.com",
        "https://api.dingtalk.com",
    )
    dingtalk_private_allow: Annotated[tuple[str, ...], NoDecode] = ()
    # The HTTP mode refuses a delivery signed longer ago (or ahead) than this, and a timestamp
    # and sign seen before: DingTalk signs only the timestamp, not the body.
    dingtalk_max_skew_seconds: float = Field(300, gt=0, le=3600)
    # WeCom (企业微信) 智能机器人: the long connection needs the bot id and secret; the HTTP
    # callback mode (`reportbot wecom --callback`) the token and EncodingAESKey set beside the
    # callback URL, and the receive id its messages are encrypted for ("" for a 智能机器人,
    # the corp id for an app).
    wecom_bot_id: str = ""
    wecom_secret: SecretStr | None = None
    wecom_token: SecretStr | None = None
    wecom_encoding_aes_key: SecretStr | None = None
    wecom_receive_id: str = ""
    wecom_ws_url: str = "wss://openws.work.weixin.qq.com"
    # Replies in callback mode go to each message's response_url, which must be under this.
    wecom_api_base_url: str = "https://qyapi.weixin.qq.com"
    # The bot's name as members @ it in groups; when set, a group message not naming it is
    # ignored (WeCom itself delivers only messages that @ the bot).
    wecom_bot_name: str = ""
    # WeCom user ids (strings) of the admins.
    wecom_admin_ids: Annotated[frozenset[str], NoDecode] = frozenset()
    wecom_callback_listen: str = "0.0.0.0"
    wecom_callback_port: int = Field(8780, ge=1, le=65535)
    wecom_callback_path: str = "wecom"
    # Messages the bot sends to one chat, and in all, per minute (WeCom's limits are per bot).
    wecom_chat_per_minute: int = Field(20, ge=1)
    wecom_bot_per_minute: int = Field(600, ge=1)
    wecom_heartbeat_seconds: float = Field(30, gt=0)
    # Feishu (飞书) / Lark: the app's credentials from the developer console (开发者后台 → 凭证与基础信息),
    # and for the HTTP event mode its Encrypt Key and Verification Token (事件与回调 → 加密策略).
    feishu_app_id: str = ""
    feishu_app_secret: SecretStr | None = None
    feishu_encrypt_key: SecretStr | None = None
    feishu_verification_token: SecretStr | None = None
    # The open platform's origin: https://open.larksuite.com for Lark, a 私有化 deployment's own.
    feishu_domain: str = "https://open.feishu.cn"
    # open_ids (ou_…) of the users allowed to run admin commands in Feishu.
    feishu_admin_ids: Annotated[frozenset[str], NoDecode] = frozenset()
    feishu_http_listen: str = "0.0.0.0"
    feishu_http_port: int = Field(8091, ge=1, le=65535)
    feishu_http_path: str = "feishu/events"
    # Events older than this (by their signed timestamp) are refused as replays.
    feishu_max_skew_seconds: float = Field(300, gt=0)

    # Logs and privacy
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Question text, names and whole updates in the logs (debugging only; off by default).
    log_private: bool = False
    # Logged questions and their feedback are deleted after this many days.
    query_retention_days: float = Field(90, gt=0)

    @field_validator("fetch_allow", "dingtalk_reply_origins", "dingtalk_private_allow", mode="before")
    @classmethod
    def _parse_fetch_allow(cls, v: object) -> object:
        if isinstance(v, str):
            return tuple(x.strip() for x in v.split(",") if x.strip())
        return v

    @field_validator("xapian_shards", mode="before")
    @classmethod
    def _parse_shards(cls, v: object) -> object:
        """Accept "10.0.0.5:7001, 10.0.0.6:7001" from the environment as well as pairs."""
        if not isinstance(v, str):
            return v
        out = []
        for part in (p.strip() for p in v.split(",")):
            host, sep, port = part.rpartition(":")
            if not part:
                continue
            if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError(f"a shard is host:port, not {part!r}")
            out.append((host.strip("[]"), int(port)))
        return tuple(out)

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _parse_admin_ids(cls, v: object) -> object:
        """Accept "123, 456" from the environment as well as a list."""
        if isinstance(v, str):
            parts = [p for p in re.split(r"[,\s]+", v.strip()) if p]
            bad = [p for p in parts if not p.lstrip("-").isdigit()]
            if bad:
                raise ValueError(f"admin ids must be numeric Telegram user ids, not {bad[0]!r}")
            return frozenset(int(p) for p in parts)
        return v

    @field_validator("dingtalk_admin_ids", "wecom_admin_ids", "feishu_admin_ids", mode="before")
    @classmethod
    def _parse_string_ids(cls, v: object) -> object:
        """Accept "manager4220, zhangsan, ou_1" (DingTalk, WeCom and Feishu ids are strings)
        as well as a list."""
        if isinstance(v, str):
            return frozenset(p for p in re.split(r"[,\s]+", v.strip()) if p)
        return v

    @field_validator("wecom_encoding_aes_key")
    @classmethod
    def _check_aes_key(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not _AES_KEY.match(v.get_secret_value()):
            raise ValueError("an EncodingAESKey is 43 letters and digits, as WeCom's admin page gives it")
        return v

    @field_validator("dingtalk_reply_origins")
    @classmethod
    def _check_reply_origins(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        """Origins only (https://host[:port], http:// on this machine only), at least one."""
        v = tuple(o.rstrip("/") for o in v)
        bad = [o for o in v if not _ORIGIN.match(o)]
        if bad or not v:
            raise ValueError(
                "must be origins such as https://oapi.dingtalk.com (http:// only for 127.0.0.1), "
                f"not {bad[0] if bad else 'nothing'!r}"
            )
        return v

    @field_validator("feishu_domain")
    @classmethod
    def _check_origin(cls, v: str) -> str:
        """An origin the SDK accepts: https://host[:port], or http:// on this machine only."""
        v = v.rstrip("/")
        if not _ORIGIN.match(v):
            raise ValueError(
                f"must be an origin such as https://open.feishu.cn (http:// only for 127.0.0.1), not {v!r}"
            )
        return v

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, v: object) -> object:
        return v.upper() if isinstance(v, str) else v

    @field_validator(
        "telegram_token",
        "webhook_secret",
        "dingtalk_client_secret",
        "wecom_secret",
        "wecom_token",
        "wecom_encoding_aes_key",
        "feishu_app_secret",
        "feishu_encrypt_key",
        "feishu_verification_token",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, v: object) -> object:
        """`REPORTBOT_TELEGRAM_TOKEN=` in .env means not set, as in .env.example."""
        return None if isinstance(v, str) and not v.strip() else v

    @field_validator("telegram_token")
    @classmethod
    def _check_token(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not _TOKEN.match(v.get_secret_value()):
            raise ValueError("does not look like a bot token from @BotFather (123456:ABC-…)")
        return v

    @model_validator(mode="after")
    def _engine_has_variant(self) -> Settings:
        if self.engine == "rank-bm25" and self.bm25_variant not in RANK_BM25_VARIANTS:
            raise ValueError(
                f"rank-bm25 has no {self.bm25_variant!r} variant: set REPORTBOT_BM25_VARIANT to one of "
                + ", ".join(RANK_BM25_VARIANTS)
            )
        if self.xapian_shards and self.engine != "xapian":
            raise ValueError("REPORTBOT_XAPIAN_SHARDS needs REPORTBOT_ENGINE=xapian")
        return self

    @property
    def db_path(self) -> Path:
        return self.data_dir / "reportbot.db"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"
