-- A first aggregation in bulk (src/db/aggregate-bulk.ts) writes the search postings and the words'
-- counts on a second connection, in a second transaction that commits just after the catalogue's
-- (issue 18 point 5). The catalogue's transaction inserts this row; the postings' transaction
-- deletes it when it commits. A row left here means the second commit did not happen (a crash or a
-- failure between the two): the postings and counts are rebuilt from movie_search at the next
-- start-up or bulk rebuild (recoverSearchPostings), and the row goes with them.
CREATE TABLE "search_postings_pending" (
  "id"    INTEGER NOT NULL DEFAULT 1,
  "since" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "search_postings_pending_pkey" PRIMARY KEY ("id")
);
