-- +goose Up
-- Where `bugscope sync` stands for one listing (resource) of one
-- repository: the cursor of the next sync, the pass in progress, and the
-- validators of the listing's first page. Each page of a sync is stored
-- together with this row in one transaction, so the row always describes
-- what the database holds. Times are UTC text like the issues table's.
CREATE TABLE sync_state (
    repo          TEXT    NOT NULL,
    resource      TEXT    NOT NULL,            -- issues | comments
    query         TEXT    NOT NULL,            -- filters the cursor is valid for (state=all&labels=bug)
    cursor        TEXT,                        -- every item updated before it is stored; NULL: nothing synced yet
    in_pass       INTEGER NOT NULL DEFAULT 0,  -- a pass (since=pass_since, ordered by update) is in progress
    pass_since    TEXT,                        -- the since of the pass's current window
    next_page     INTEGER NOT NULL DEFAULT 0,  -- page of the window to fetch next
    last_seen     TEXT,                        -- updated_at of the last item stored by the pass
    max_seen      TEXT,                        -- largest updated_at stored by the pass
    pages         TEXT    NOT NULL DEFAULT '[]', -- JSON: when each page of the pass was served and its start boundary
    repairs       TEXT    NOT NULL DEFAULT '[]', -- JSON: boundaries to fetch again (items moved mid-pass)
    validator_key TEXT    NOT NULL DEFAULT '', -- the request the validators belong to
    etag          TEXT    NOT NULL DEFAULT '',
    last_modified TEXT    NOT NULL DEFAULT '',
    items         INTEGER NOT NULL DEFAULT 0,  -- items stored by all syncs
    requests      INTEGER NOT NULL DEFAULT 0,  -- listing requests made by all syncs
    started_at    TEXT,
    finished_at   TEXT,                        -- last sync that reached the end
    PRIMARY KEY (repo, resource, query)
) WITHOUT ROWID;

-- Comments on issues and pull requests (`bugscope sync --comments`).
CREATE TABLE issue_comments (
    repo               TEXT    NOT NULL,
    id                 INTEGER NOT NULL,       -- GitHub's comment id
    issue_number       INTEGER NOT NULL,
    author             TEXT    NOT NULL DEFAULT '',
    author_association TEXT    NOT NULL DEFAULT '',
    body               TEXT    NOT NULL DEFAULT '',
    created_at         TEXT,
    updated_at         TEXT,
    url                TEXT    NOT NULL DEFAULT '',
    stored_at          TEXT    NOT NULL,
    PRIMARY KEY (repo, id)
) WITHOUT ROWID;
CREATE INDEX issue_comments_issue ON issue_comments (repo, issue_number);

-- Merged pull requests: when they merged and, once fetched, their size.
-- A merged pull request never changes, so its size is fetched once.
CREATE TABLE pull_requests (
    repo          TEXT    NOT NULL,
    number        INTEGER NOT NULL,
    merged_at     TEXT,
    additions     INTEGER,                     -- NULL until the size is fetched
    deletions     INTEGER,
    changed_files INTEGER,
    merge_commit  TEXT    NOT NULL DEFAULT '',
    size_fetched_at TEXT,
    PRIMARY KEY (repo, number)
) WITHOUT ROWID;

-- Which pull requests fixed which issues, and how the link was found
-- (body: "Fixes #N" in the description; timeline; commit).
CREATE TABLE fix_links (
    repo         TEXT    NOT NULL,             -- the issue's repository
    issue_number INTEGER NOT NULL,
    pr_repo      TEXT    NOT NULL,
    pr_number    INTEGER NOT NULL,
    source       TEXT    NOT NULL,
    found_at     TEXT    NOT NULL,
    PRIMARY KEY (repo, issue_number, pr_repo, pr_number)
) WITHOUT ROWID;
CREATE INDEX fix_links_pr ON fix_links (pr_repo, pr_number);

-- Closed issues as the fix search sees them: why they were closed, and
-- whether their timeline was read (at which version of the issue).
CREATE TABLE fix_search (
    repo                 TEXT    NOT NULL,
    issue_number         INTEGER NOT NULL,
    state_reason         TEXT    NOT NULL DEFAULT '',
    closed_at            TEXT,
    timeline_checked_for TEXT,                 -- the issue's updated_at when its timeline was read
    PRIMARY KEY (repo, issue_number)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE fix_search;
DROP TABLE fix_links;
DROP TABLE pull_requests;
DROP TABLE issue_comments;
DROP TABLE sync_state;
