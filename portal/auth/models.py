"""User accounts, their roles, and login attempts (for lockout)."""

import secrets
from datetime import datetime

from flask import current_app, has_app_context
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from portal.auth.roles import Role
from portal.catalogue.models import Region
from portal.extensions import db
from portal.orgs.models import Organisation
from portal.timeutil import utcnow

ROLE_CHECK = "role IN (" + ",".join(f"'{r.value}'" for r in Role) + ")"


class UserRole(db.Model):
    __tablename__ = "user_role"
    __table_args__ = (
        UniqueConstraint("user_id", "role", name="uq_user_role_user_id_role"),
        CheckConstraint(ROLE_CHECK, name="role_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))


class User(db.Model):
    """A person who logs in. Scope comes from ``region`` (city officers) and ``organisation``
    (unit clerks and site leads); an applicant's own records hang off ``person_id``."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(40))
    password_hash: Mapped[str] = mapped_column(String(255))
    must_change_password: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True)
    # Rotated on password change or disable: every other session of this user ends.
    session_token: Mapped[str] = mapped_column(
        String(32), default=lambda: secrets.token_hex(16)
    )
    phone: Mapped[str] = mapped_column(String(20), default="")
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    region: Mapped[Region | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    role_rows: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by=UserRole.role
    )

    # --- Flask-Login protocol -------------------------------------------------------------
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}.{self.session_token}"

    # --- passwords -----------------------------------------------------------------------
    def set_password(self, password: str, *, temporary: bool) -> None:
        """Hash with scrypt; a temporary password must be changed at the next login.

        The cost comes from ``PASSWORD_HASH_METHOD`` (default werkzeug's scrypt parameters);
        only the test suite lowers it, to keep thousands of logins fast."""
        method = current_app.config["PASSWORD_HASH_METHOD"] if has_app_context() else "scrypt"
        self.password_hash = generate_password_hash(password, method=method)
        self.must_change_password = temporary
        self.rotate_session()

    def rotate_session(self) -> None:
        """End every existing session of this user (they must log in again)."""
        self.session_token = secrets.token_hex(16)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    # --- roles ---------------------------------------------------------------------------
    @property
    def roles(self) -> set[str]:
        return {r.role for r in self.role_rows}

    def set_roles(self, roles: set[str]) -> None:
        keep = [r for r in self.role_rows if r.role in roles]
        have = {r.role for r in keep}
        self.role_rows = keep + [UserRole(role=r) for r in sorted(roles - have)]

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    @property
    def role_labels(self) -> list[str]:
        return [Role(r).label for r in sorted(self.roles, key=list(Role).index)]

    def __str__(self) -> str:
        return f"{self.display_name}（{self.username}）"


class LoginAttempt(db.Model):
    """One login attempt, kept for lockout (5 failures per account+address in 15 minutes)."""

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_username_ip_at", "username", "ip", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40))
    ip: Mapped[str] = mapped_column(String(45))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    success: Mapped[bool]
