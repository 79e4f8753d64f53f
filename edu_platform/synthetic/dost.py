"""Deterministic synthetic Dost call-campaign database (users, experience, programseq, content, campaign).

Everything is computed inside PostgreSQL (generate_series + INSERT ... SELECT), so scale 1.0 (about
120,000 users and 10.6 million campaign rows over 208 weeks) takes about a minute, a test-sized
database a second.

Randomness is a hash of (seed, entity id, draw number) (`hashint8extended`), never a random stream:
the database generated for N weeks equals the one generated for N-1 weeks plus `--append-week`, row
for row. What it simulates:

- signups growing ~80 % a year, fewer at weekends, through five channels (the number the parent called:
  Dost's own line and four partner organisations, one of them only from day 150) that differ in
  pick-up, listening, drop-out, how quickly a new user takes the first call and how many never answer;
- 28 programs (4 languages x 7 levels, 100-130 sequences, typically 112), one call each weekday from
  the Monday after signup, pick-up and listening fading with months into the program;
- drop-outs (calls stop, the user row turns `unsubscribed`), phone changes (a new experience row the
  later calls refer to), a follow-on program for some who finish (another experience row);
- corrections after the fact (status or listen_secs changed, updated_at moved); 30 % of them go through
  a nightly batch committed at 02:00 the next day with the updated_at of when they were made ("late
  commits": a Sunday correction lands after the week closed, what the loader's 24 h lag is for);
- a little dirt for silver to clean: status in mixed case, listen_secs a few seconds over the content.

Hidden generation parameters live in the schema `synthetic` of the source database; the transactional
tables are in `public`.
"""

import datetime as dt
import math
import time
from contextlib import closing
from typing import Union

from psycopg2 import sql

from edu_platform.defs.dost.settings import FIRST_MONDAY, source_warehouse
from edu_platform.lib.partitions import last_complete_week, utc_now
from edu_platform.lib.warehouse import Warehouse

SEED = 20200106
DEFAULT_SCALE = 1.0
DEFAULT_WEEKS = 208
BASE_SIGNUPS_PER_DAY = 22.5  # at scale 1.0 on the first day
GROWTH_PER_YEAR = math.log(1.8)
WEEKEND_SIGNUP_FACTOR = 0.7
HIDDEN = "synthetic"

LANGUAGES = [("hindi", 0.45), ("marathi", 0.25), ("kannada", 0.18), ("english", 0.12)]
LEVEL_WEIGHTS = [0.20, 0.20, 0.18, 0.15, 0.12, 0.09, 0.06]  # child's age level 1..7
SEQUENCES_BY_LEVEL = [100, 112, 112, 112, 112, 112, 130]
# provider_number, share, first day, pick-up x, listening x, drop-out probability, pick-up in the first two
# weeks x, share of signups who never answer (a wrong number, a parent signed up by someone else)
CHANNELS = [
    ("1800-102-0001", 0.34, 0, 1.00, 1.00, 0.30, 0.85, 0.03),  # Dost's own missed-call line
    ("1800-102-1001", 0.22, 0, 1.05, 1.05, 0.25, 0.70, 0.05),  # NGO partner
    ("1800-102-1002", 0.20, 0, 0.85, 0.90, 0.40, 0.45, 0.12),  # government anganwadi centres
    ("1800-102-1003", 0.14, 0, 1.10, 1.10, 0.20, 0.80, 0.04),  # schools
    ("1800-102-1004", 0.10, 150, 0.75, 0.80, 0.55, 0.35, 0.22),  # social-media campaign, from day 150
]
ACTIVITIES = [
    "Counting with buttons", "Story time", "Name the colours", "Kitchen shapes", "Sing along", "Big and small",
    "Feelings talk", "Sorting game", "Letter hunt", "Animal sounds", "Draw your day", "Bedtime questions",
]
FAIL_P, BUSY_P = 0.025, 0.015
MONTHLY_PICKUP_FADE, MONTHLY_LISTEN_FADE = 0.90, 0.95
CORRECTION_P, BATCH_COMMIT_P = 0.02, 0.30
PHONE_CHANGE_P, FOLLOW_ON_P = 0.08, 0.15


def _u(key: str, draw: int, seed: int) -> str:
    """Uniform [0, 1) from (seed, key, draw): a SQL expression, the same on every PostgreSQL version."""
    return f"((hashint8extended(({key})::bigint, {seed * 1000 + draw}) & 9007199254740991)::float8 / 9007199254740992.0)"


def _pick(r: str, weights: list[float]) -> str:
    """1-based index drawn with `weights` from the uniform expression `r`."""
    total, acc, parts = sum(weights), 0.0, []
    for i, w in enumerate(weights[:-1], start=1):
        acc += w / total
        parts.append(f"when {r} < {acc:.6f} then {i}")
    return f"(case {' '.join(parts)} else {len(weights)} end)"


def _array(values) -> str:
    return "(array[" + ", ".join(repr(v) if isinstance(v, str) else f"{v}" for v in values) + "])"


def _channel_expr(r: str, day: str) -> str:
    """Channel by share among the channels open on `day`."""
    eras = sorted({c[2] for c in CHANNELS}, reverse=True)
    cases = []
    for era in eras:
        weights = [c[1] if c[2] <= era else 0.0 for c in CHANNELS]
        cases.append(f"when {day} >= {era} then {_pick(r, weights)}")
    return f"(case {' '.join(cases)} end)"


def _kidx(delta: str) -> str:
    """Weekday calls sent before day `delta` of a program that starts on a Monday."""
    return f"(case when ({delta}) <= 0 then 0 else (({delta}) / 7) * 5 + least(({delta}) % 7, 5) end)"


def _call_day(first: str, k: str) -> str:
    return f"({first} + 7 * (({k}) / 5) + ({k}) % 5)"


# --------------------------------------------------------------------------------------------- SQL


def _enrollment_sql(seed: int, scale: float, start: str, day_from: int, day_to: int) -> str:
    """Every enrollment (program signup) of the users who sign up on days [day_from, day_to)."""
    u = lambda key, draw: _u(key, draw, seed)  # noqa: E731
    n_seq = _array(SEQUENCES_BY_LEVEL)
    ch_pick, ch_listen = _array([c[3] for c in CHANNELS]), _array([c[4] for c in CHANNELS])
    ch_drop, ch_warm = _array([c[5] for c in CHANNELS]), _array([c[6] for c in CHANNELS])
    ch_never = _array([c[7] for c in CHANNELS])
    last_call = lambda first, n: _call_day(first, f"{n} - 1")  # noqa: E731
    return f"""
    with days as (
        select d, floor({scale} * {BASE_SIGNUPS_PER_DAY} * exp({GROWTH_PER_YEAR} * d / 365.25)
                   * (case when extract(isodow from date '{start}' + d) in (6, 7) then {WEEKEND_SIGNUP_FACTOR} else 1 end)
                   + {u('d', 1)})::int as n
        from generate_series(0, {day_to} - 1) d
    ), cum as (
        select d, n, (sum(n) over (order by d) - n)::bigint as before from days
    ), ua as (
        select (before + i + 1)::bigint as user_id, d
        from cum cross join lateral generate_series(0, n - 1) i
        where n > 0 and d >= {day_from}
    ), ub as (
        select user_id, d,
            (date '{start}' + d)::timestamptz + (2 + 14 * {u('user_id', 2)}) * interval '1 hour' as created_on,
            {_channel_expr(u('user_id', 3), 'd')} as channel,
            {_pick(u('user_id', 4), [w for _, w in LANGUAGES])} as lang,
            {_pick(u('user_id', 5), LEVEL_WEIGHTS)} as level,
            0.35 + 0.6 * {u('user_id', 6)} as pick_u,
            0.30 + 0.7 * power({u('user_id', 7)}, 0.7) as listen_u,
            3 + 10 * {u('user_id', 8)} as call_hour,
            '+91' || (6000000000 + floor({u('user_id', 9)} * 3999999999))::bigint::text as phone_a,
            '+91' || (6000000000 + floor({u('user_id', 16)} * 3999999999))::bigint::text as phone_b0,
            '+91' || (6000000000 + floor({u('user_id', 17)} * 3999999999))::bigint::text as phone_b1
        from ua
    ), s0 as (
        select ub.*, 0 as slot, (lang - 1) * 7 + level as program_id, {n_seq}[level] as n_seq,
            created_on as signup_at,
            created_on::date + (8 - extract(isodow from created_on::date))::int as first_call_day,
            case when {u('user_id', 21)} < {ch_never}[channel] then 0.0
                 else least(0.97, pick_u * {ch_pick}[channel]) end as pick,
            least(0.98, listen_u * {ch_listen}[channel]) as listen,
            {ch_warm}[channel] as warm,
            {u('user_id * 2', 10)} < {ch_drop}[channel] * (1.4 - pick_u) as dropped,
            1 + floor(({n_seq}[level] - 1) * power({u('user_id * 2', 11)}, 1.8))::int as drop_seq,
            case when {u('user_id * 2', 12)} < {PHONE_CHANGE_P}
                 then 5 + floor(({n_seq}[level] - 5) * {u('user_id * 2', 13)})::int end as change_seq0,
            phone_a as phone, phone_b0 as phone_new
        from ub
    ), s0n as (
        select s0.*, case when dropped then drop_seq else n_seq end as n_calls from s0
    ), s1 as (
        select user_id, d, created_on, channel, lang, level + 1 as level, pick_u, listen_u, call_hour,
            1 as slot, program_id + 1 as program_id, {n_seq}[level + 1] as n_seq,
            signup_at1 as signup_at,
            signup_at1::date + (8 - extract(isodow from signup_at1::date))::int as first_call_day,
            pick * 0.95 as pick, listen * 0.95 as listen, warm,
            {u('user_id * 2 + 1', 10)} < {ch_drop}[channel] * (1.4 - pick_u) as dropped,
            1 + floor(({n_seq}[level + 1] - 1) * power({u('user_id * 2 + 1', 11)}, 1.8))::int as drop_seq,
            case when {u('user_id * 2 + 1', 12)} < {PHONE_CHANGE_P}
                 then 5 + floor(({n_seq}[level + 1] - 5) * {u('user_id * 2 + 1', 13)})::int end as change_seq0,
            case when change_seq0 is not null and change_seq0 < n_calls then phone_new else phone end as phone,
            phone_b1 as phone_new
        from (
            select s0n.*,
                ({last_call('first_call_day', 'n_calls')} + 1 + 7 * floor(4 * {u('user_id', 15)})::int)::timestamptz
                    + (2 + 14 * {u('user_id', 18)}) * interval '1 hour' as signup_at1
            from s0n
            where not dropped and pick > 0 and level < 7 and {u('user_id', 14)} < {FOLLOW_ON_P}
        ) f
    ), s1n as (
        select s1.*, case when dropped then drop_seq else n_seq end as n_calls from s1
    ), enr as (
        select user_id, slot, created_on, channel, lang, program_id, n_seq, signup_at, first_call_day,
               pick, listen, warm, dropped, n_calls, call_hour, change_seq0, phone, phone_new from s0n
        union all
        select user_id, slot, created_on, channel, lang, program_id, n_seq, signup_at, first_call_day,
               pick, listen, warm, dropped, n_calls, call_hour, change_seq0, phone, phone_new from s1n
    )
    select user_id, slot, created_on, channel, lang, program_id, n_seq, signup_at, first_call_day,
        pick, listen, warm, dropped, n_calls, call_hour, phone, phone_new,
        {last_call('first_call_day', 'n_calls')} as last_call_day,
        case when dropped then ({last_call('first_call_day', 'n_calls')} + 1)::timestamptz
             + (9 + 8 * {u('user_id * 2 + slot', 19)}) * interval '1 hour' end as unsub_at,
        case when change_seq0 < n_calls then change_seq0 end as change_seq,
        case when change_seq0 < n_calls then ({_call_day('first_call_day', 'change_seq0')} - 1)::timestamptz
             + (12 + 6 * {u('user_id * 2 + slot', 20)}) * interval '1 hour' end as change_at
    from enr
    """


def _calls_sql(seed: int, day_from: str, day_to: str) -> str:
    """Every call (original and corrected version) with a call day in [day_from, day_to) (SQL date expressions).

    A call's draws hash its `call_key` (enrollment and place in the program). Its `id` is what a transactional
    table's serial key would be: 1, 2, 3 ... in the order the calls were placed (call day, then attempt time),
    counted from the first call ever, so a chunk of days numbers its calls as the whole history would.

    `offset 0` fences each step: without them PostgreSQL inlines the steps and re-evaluates a derived column
    (and its hashes) once per reference, which made the full-scale insert ten times slower."""
    u = lambda key, draw: _u(key, draw, seed)  # noqa: E731
    return f"""
    with e as (
        select e.*,
            greatest(0, {_kidx(f'({day_from}) - first_call_day')}) as k0,
            least(n_calls, {_kidx(f'({day_to}) - first_call_day')}) as k1
        from {HIDDEN}.enrollment e
        where first_call_day < ({day_to}) and last_call_day >= ({day_from})
    ), c as (
        select (e.user_id * 2 + e.slot) * 256 + k as call_key, k, e.user_id, e.slot, e.program_id,
            case when e.change_seq is not null and k >= e.change_seq
                 then e.user_id * 4 + e.slot * 2 + 1 else e.user_id * 4 + e.slot * 2 end as experience_id,
            e.program_id * 1000 + k + 1 as programseq_id,
            100000 + e.program_id * 1000 + k + 1 as content_id,
            {_call_day('e.first_call_day', 'k')} as call_day,
            e.signup_at, e.pick, e.listen, e.warm, e.call_hour
        from e cross join lateral generate_series(e.k0, e.k1 - 1) k offset 0
    ), c1 as (
        select c.*,
            call_day::timestamptz + (call_hour * 3600 + ({u('call_key', 21)} - 0.5) * 2400) * interval '1 second' as attempted,
            60 + floor(61 * {u('content_id', 40)})::int as duration,
            (call_day - signup_at::date) / 30 as m0,
            {u('call_key', 22)} as r_status, {u('call_key', 23)} as r_pick, {u('call_key', 24)} as r_listen
        from c offset 0
    ), c2 as (
        select c1.*,
            case when r_status < {FAIL_P} then 'failed'
                 when r_status < {FAIL_P + BUSY_P} then 'busy'
                 when r_pick < pick * power({MONTHLY_PICKUP_FADE}, m0) * (case when k < 10 then warm else 1 end) then 'completed'
                 else 'missed' end as status0
        from c1 offset 0
    ), c3 as (
        select c2.*,
            case when status0 = 'completed' then
                case when {u('call_key', 31)} < 0.005 then duration + 1 + floor(3 * {u('call_key', 32)})::int
                     else greatest(1, round(duration * least(1.0, greatest(0.03,
                          listen * power({MONTHLY_LISTEN_FADE}, m0) + ({u('call_key', 25)} - 0.5) * 0.3))))::int end
                 when status0 = 'missed' then 0 end as listen0,
            case when status0 = 'completed' then attempted + (5 + 20 * {u('call_key', 26)}) * interval '1 second' end as start0,
            {u('call_key', 27)} < {CORRECTION_P} as has_corr,
            {u('call_key', 30)} < 0.01 as dirty
        from c2 offset 0
    ), c4 as (
        select c3.*,
            coalesce(start0 + (listen0 + 2) * interval '1 second',
                     attempted + (case when status0 = 'missed' then 45 else 5 end) * interval '1 second') as updated0,
            case when status0 in ('failed', 'busy') then 'missed' else 'completed' end as status1
        from c3 offset 0
    ), c5 as (
        select c4.*,
            updated0 + (3600 + {u('call_key', 28)} * 13 * 86400) * interval '1 second' as corr_at,
            case when status1 = 'completed' then greatest(1, round(duration * {u('call_key', 29)}))::int else 0 end as listen1,
            case when status1 = 'completed' then coalesce(start0, attempted + interval '12 seconds') end as start1
        from c4 offset 0
    ), placed_before as (
        select coalesce(sum(least(n_calls, {_kidx(f'({day_from}) - first_call_day')})), 0)::bigint as n
        from {HIDDEN}.enrollment where first_call_day < ({day_from})
    ), c6 as (
        select c5.*, (select n from placed_before) + row_number() over (order by call_day, attempted, call_key) as id
        from c5
    )
    select id, experience_id, user_id, program_id, programseq_id, content_id, call_day, attempted,
        case when dirty and status0 = 'completed' then 'Completed' when dirty then upper(status0) || ' ' else status0 end as status0,
        start0, start0 + (listen0 + 2) * interval '1 second' as end0, listen0, updated0,
        has_corr, status1, start1, start1 + (listen1 + 2) * interval '1 second' as end1, listen1, corr_at,
        case when {u('call_key', 33)} < {BATCH_COMMIT_P} then date_trunc('day', corr_at) + interval '26 hours'
             else corr_at end as commit_at
    from c6
    """


def _campaign_row(as_of: str) -> str:
    """The state of a call as of `as_of`: corrected once the correction is committed."""
    fixed = f"(has_corr and commit_at < {as_of})"
    return f"""
        id, experience_id, user_id, program_id, programseq_id, content_id,
        case when {fixed} then status1 else status0 end as status,
        attempted as attempted_timestamp,
        case when {fixed} then start1 else start0 end as call_start_time,
        case when {fixed} then end1 else end0 end as call_end_time,
        case when {fixed} then listen1 else listen0 end as listen_secs,
        case when {fixed} then corr_at else updated0 end as updated_at
    """


DDL = """
create table users (
    id bigint not null, created_on timestamptz not null, language text not null,
    status text not null, unsubscribed_on timestamptz, updated_at timestamptz not null
);
create table experience (
    id bigint not null, user_id bigint not null, program_id int not null,
    provider_number text not null, phone text not null, created_on timestamptz not null
);
create table programseq (id int not null, program_id int not null, sequence_index int not null, week int not null, day int not null);
create table content (
    id int not null, program_id int not null, programseq_id int not null, duration int not null,
    title text not null, language text not null
);
create table campaign (
    id bigint not null, experience_id bigint not null, user_id bigint not null, program_id int not null,
    programseq_id int not null, content_id int not null, status text not null,
    attempted_timestamp timestamptz not null, call_start_time timestamptz, call_end_time timestamptz,
    listen_secs int, updated_at timestamptz not null
);
"""

KEYS = """
alter table users add primary key (id);
alter table experience add primary key (id);
alter table programseq add primary key (id);
alter table content add primary key (id);
alter table campaign add primary key (id);
create index campaign_updated_at on campaign (updated_at);
create index users_updated_at on users (updated_at);
create index users_created_on on users (created_on);
create index experience_created_on on experience (created_on);
create index experience_user on experience (user_id);
create view listen_rate as
    select c.id as campaign_id, c.user_id, c.program_id, c.content_id, lower(trim(c.status)) as status,
           coalesce(c.listen_secs, 0) as listen_secs, ct.duration as content_secs,
           c.attempted_timestamp, c.updated_at
    from campaign c join content ct on ct.id = c.content_id
    where lower(trim(c.status)) in ('completed', 'missed');
"""


def _users_sql(as_of: str, where: str) -> str:
    """Users as of `as_of`: one row per user, unsubscribed once the drop-out is recorded."""
    langs = _array([name for name, _ in LANGUAGES])
    return f"""
    select user_id as id, min(created_on) as created_on, min({langs}[lang]) as language,
        case when min(unsub_at) < {as_of} then 'unsubscribed' else 'active' end as status,
        case when min(unsub_at) < {as_of} then min(unsub_at) end as unsubscribed_on,
        case when min(unsub_at) < {as_of} then min(unsub_at) else min(created_on) end as updated_at
    from {HIDDEN}.enrollment where {where}
    group by user_id
    """


def _experience_sql(where: str) -> str:
    providers = _array([c[0] for c in CHANNELS])
    return f"""
    select * from (
        select user_id * 4 + slot * 2 as id, user_id, program_id, {providers}[channel] as provider_number,
               phone, signup_at as created_on
        from {HIDDEN}.enrollment
        union all
        select user_id * 4 + slot * 2 + 1, user_id, program_id, {providers}[channel], phone_new, change_at
        from {HIDDEN}.enrollment where change_at is not null
    ) x where {where}
    """


def _reference_sql(seed: int) -> list[str]:
    langs = _array([name for name, _ in LANGUAGES])
    acts = _array(ACTIVITIES)
    n_seq = _array(SEQUENCES_BY_LEVEL)
    programs = f"""
        select p as program_id, {langs}[(p - 1) / 7 + 1] as language, (p - 1) % 7 + 1 as level,
               {n_seq}[(p - 1) % 7 + 1] as n_seq
        from generate_series(1, {len(LANGUAGES) * 7}) p
    """
    return [
        f"""insert into programseq
            select program_id * 1000 + s, program_id, s, (s - 1) / 5 + 1, (s - 1) % 5 + 1
            from ({programs}) p cross join lateral generate_series(1, n_seq) s""",
        f"""insert into content
            select 100000 + ps.id, ps.program_id, ps.id, 60 + floor(61 * {_u('100000 + ps.id', 40, seed)})::int,
                   format('Program %s, week %s day %s: %s', ps.program_id, ps.week, ps.day,
                          {acts}[(ps.sequence_index * 7 + ps.program_id) % {len(ACTIVITIES)} + 1]),
                   p.language
            from programseq ps join ({programs}) p using (program_id)""",
    ]


# --------------------------------------------------------------------------------------------- API


def _target(target: Union[Warehouse, str, None]) -> Warehouse:
    if target is None:
        return source_warehouse()
    return Warehouse.from_url(target) if isinstance(target, str) else target


def _session(conn):
    with conn.cursor() as cur:
        cur.execute("set time zone 'UTC'; set synchronous_commit = off; set work_mem = '256MB'; set jit = off")


def generate(
    target: Union[Warehouse, str, None] = None,
    scale: float = DEFAULT_SCALE,
    weeks: int = DEFAULT_WEEKS,
    seed: int = SEED,
    start: str = FIRST_MONDAY,
    log=None,
) -> dict:
    """(Re)create the source database's tables with `weeks` weeks of activity from the Monday `start`.

    `start` defaults to FIRST_MONDAY, a fixed history (the benchmark's); the command line's default instead
    ends the history with the last complete week."""
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    if weeks < 1:
        raise ValueError(f"weeks must be at least 1, got {weeks}")
    first = dt.date.fromisoformat(start)
    if first.isoweekday() != 1:
        raise ValueError(f"start {start} is not a Monday")
    db = _target(target).ensure_database()
    if db.scalar(f"select to_regclass('public.campaign') is not null and to_regclass('{HIDDEN}.meta') is null"):
        raise ValueError(f"{db.database} holds a campaign table the generator did not make; refusing to replace it")
    as_of = first + dt.timedelta(days=7 * weeks)
    as_of_sql = f"timestamptz '{as_of.isoformat()} 00:00:00+00'"
    steps = [
        ("schema", f"drop schema if exists {HIDDEN} cascade; create schema {HIDDEN};"
                   " drop view if exists listen_rate; drop table if exists campaign, content, programseq, experience, users;"),
        ("meta", f"create table {HIDDEN}.meta as select {seed}::int as seed, {scale}::float8 as scale,"
                 f" date '{start}' as start_date, {as_of_sql} as as_of"),
        ("enrollment", f"create table {HIDDEN}.enrollment as {_enrollment_sql(seed, scale, start, 0, 7 * weeks)}"),
        ("enrollment index", f"alter table {HIDDEN}.enrollment add primary key (user_id, slot); analyze {HIDDEN}.enrollment"),
        ("tables", DDL),
        *[("reference", s) for s in _reference_sql(seed)],
        ("users", f"insert into users {_users_sql(as_of_sql, f'created_on < {as_of_sql}')}"),
        ("experience", f"insert into experience {_experience_sql(f'created_on < {as_of_sql}')}"),
        ("campaign", f"""insert into campaign select {_campaign_row(as_of_sql)}
                         from ({_calls_sql(seed, f"date '{start}'", f"date '{as_of.isoformat()}'")}) calls
                         where updated0 < {as_of_sql}
                         order by id"""),
        ("keys", KEYS),
        ("analyze", "analyze"),
    ]
    # one transaction: readers see the previous database or the new one, never half of it
    with closing(db.connect(autocommit=False)) as conn:
        _session(conn)
        with conn.cursor() as cur:
            for name, statement in steps[:-1]:
                began = time.perf_counter()
                cur.execute(statement)
                if log:
                    log(f"{name}: {time.perf_counter() - began:.1f}s")
        conn.commit()
    with db.cursor() as cur:
        cur.execute(steps[-1][1])
    return counts(db)


def next_week(target: Union[Warehouse, str, None] = None) -> tuple[dt.date, dt.date]:
    """(first day, day after the last) of the week `append_week` would add next."""
    first = _target(target).scalar(f"select (as_of at time zone 'UTC')::date from {HIDDEN}.meta")
    return first, first + dt.timedelta(days=7)


def append_week(target: Union[Warehouse, str, None] = None, weeks: int = 1, log=None, now: dt.datetime | None = None) -> dict:
    """Add the next week(s) of activity: new users and enrollments, new calls, late corrections to older calls.

    A synthetic source never writes the future: a week is added only once it has ended (by `now`, default
    the platform clock); otherwise nothing is added and the error says which week and when it ends."""
    db = _target(target)
    if db.scalar(f"select to_regclass('{HIDDEN}.meta') is null"):
        raise ValueError(f"{db.database}: no {HIDDEN}.meta, not a database made by `generate dost`")
    first, end = next_week(db)
    end = end + dt.timedelta(weeks=weeks - 1)
    now = now or utc_now()
    if dt.datetime.combine(end, dt.time(0), dt.timezone.utc) > now:
        raise ValueError(
            f"the next week of {db.database} ({first} to {end - dt.timedelta(days=1)}) has not ended yet:"
            f" it ends on {end} 00:00 UTC; nothing appended"
        )
    added: dict = {}
    with closing(db.connect(autocommit=False)) as conn:
        _session(conn)
        with conn.cursor() as cur:
            cur.execute(f"select seed, scale, start_date, as_of from {HIDDEN}.meta")
            row = cur.fetchone()
            if row is None:
                raise ValueError(f"{db.database}: no {HIDDEN}.meta, not a database made by `generate dost`")
            seed, scale, start, as_of = row
            for _ in range(weeks):
                added = _append_one_week(cur, seed, scale, start, as_of, added)
                as_of = as_of + dt.timedelta(days=7)
            cur.execute(f"update {HIDDEN}.meta set as_of = %s", (as_of,))
        conn.commit()
    with db.cursor() as cur:
        cur.execute("analyze")
    return {**counts(db), **{f"appended_{k}": v for k, v in added.items()}}


def _append_one_week(cur, seed, scale, start, as_of, added) -> dict:
    t0, t1 = as_of, as_of + dt.timedelta(days=7)
    t0_sql, t1_sql = f"timestamptz '{t0.isoformat()}'", f"timestamptz '{t1.isoformat()}'"
    day0 = (t0.date() - start).days
    d0, d1 = f"date '{t0.date().isoformat()}'", f"date '{t1.date().isoformat()}'"
    statements = [
        ("enrollments", f"insert into {HIDDEN}.enrollment {_enrollment_sql(seed, scale, start.isoformat(), day0, day0 + 7)}"),
        ("users", f"insert into users {_users_sql(t1_sql, f'created_on >= {t0_sql} and created_on < {t1_sql}')}"),
        ("unsubscribed", f"""update users u set status = n.status, unsubscribed_on = n.unsubscribed_on, updated_at = n.updated_at
                              from ({_users_sql(t1_sql, f'created_on < {t0_sql}')}) n
                              where n.id = u.id and n.unsubscribed_on >= {t0_sql}"""),
        ("experience", f"insert into experience {_experience_sql(f'created_on >= {t0_sql} and created_on < {t1_sql}')}"),
        ("calls", f"""insert into campaign select {_campaign_row(t1_sql)}
                       from ({_calls_sql(seed, f'{d0} - 1', d1)}) calls
                       where updated0 >= {t0_sql} and updated0 < {t1_sql}"""),
        ("corrections", f"""update campaign c set status = n.status1, call_start_time = n.start1, call_end_time = n.end1,
                                listen_secs = n.listen1, updated_at = n.corr_at
                             from ({_calls_sql(seed, f'{d0} - 16', d1)}) n
                             where n.id = c.id and n.has_corr and n.updated0 < {t0_sql}
                               and n.commit_at >= {t0_sql} and n.commit_at < {t1_sql}"""),
    ]
    out = dict(added)
    for name, statement in statements:
        cur.execute(statement)
        out[name] = out.get(name, 0) + max(cur.rowcount, 0)
    return out


def counts(target: Union[Warehouse, str, None] = None) -> dict:
    db = _target(target)
    with db.cursor() as cur:
        out = {}
        for table in ("users", "experience", "programseq", "content", "campaign"):
            cur.execute(sql.SQL("select count(*) from {}").format(sql.Identifier(table)))
            out[table] = cur.fetchone()[0]
        cur.execute(f"select as_of from {HIDDEN}.meta")
        out["as_of"] = cur.fetchone()[0].date().isoformat()
    return out


def source_exists(target: Union[Warehouse, str, None] = None) -> bool:
    """Whether the database exists and holds a generated source."""
    db = _target(target)
    with db.with_database("postgres").cursor() as cur:
        cur.execute("select 1 from pg_database where datname = %s", (db.database,))
        if cur.fetchone() is None:
            return False
    return bool(db.scalar("select to_regclass('synthetic.meta') is not null and to_regclass('public.campaign') is not null"))


def add_arguments(parser) -> None:
    parser.add_argument("--scale", type=float, default=DEFAULT_SCALE, help="1.0 = ~120,000 users, >10 M calls over 208 weeks")
    parser.add_argument("--weeks", type=int, default=DEFAULT_WEEKS, help="weeks of history")
    parser.add_argument(
        "--start", default=None,
        help="first Monday of the history (YYYY-MM-DD); default: the --weeks weeks ending with the last complete week",
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--append-week", action="store_true",
        help="add the next week to an existing source database, once that week has ended (else exit 2 saying when it ends)",
    )
    parser.add_argument("--url", default=None, help="target database (default: DOST_SOURCE_URL, else edu_dost_source on the warehouse server)")


def default_start(weeks: int, now: dt.datetime | None = None) -> dt.date:
    """The first Monday of `weeks` weeks ending with the last complete week (by the platform clock)."""
    return last_complete_week(now) + dt.timedelta(weeks=1) - dt.timedelta(weeks=weeks)


def generate_from_args(args) -> str:
    began = time.perf_counter()
    if args.append_week:
        out = append_week(args.url)
    else:
        start = args.start or default_start(args.weeks).isoformat()
        out = generate(args.url, scale=args.scale, weeks=args.weeks, seed=args.seed, start=start)
    db = _target(args.url)
    text = ", ".join(f"{k}: {v:,}" if isinstance(v, int) else f"{k}: {v}" for k, v in out.items())
    return f"{db.database}: {text} ({time.perf_counter() - began:.1f}s)"
