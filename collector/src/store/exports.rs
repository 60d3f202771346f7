//! The export query: stored responses with their analysis, read in pages by
//! keyset (rowid) so that a download never holds a connection for longer
//! than one page.
