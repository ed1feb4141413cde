//! Operations parsed and validated before, by their text.
//!
//! A router sends the same few operations over and over (only their variables change), and
//! parsing and validating one costs more than resolving a small answer. [`ParsedDocuments`]
//! keeps the parsed documents of an instance's recent operations and hands the schema a
//! copy, which it then checks (depth, directives) as it checks one it parsed itself. A text
//! that does not parse is not kept: the schema parses it again and reports the error.
//!
//! It also keeps whether a document passed async-graphql's full validation once: the
//! subgraph then checks it again in the fast mode only (depth, complexity, fragment
//! cycles). The full rules look at the document and the schema, but for one: an argument's
//! value given by a variable, which the fast mode leaves to the moment the argument is read
//! (the field fails with the same complaint, instead of the whole request).

use std::sync::Mutex;

use async_graphql::Request;
use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::ExecutableDocument;

/// How many documents are kept (the oldest goes first).
const MAX_DOCUMENTS: usize = 64;

/// Longer operations are parsed each time: a router's operations are far shorter.
const MAX_OPERATION_BYTES: usize = 16 * 1024;

/// A kept document, and whether it passed the full validation.
struct Known {
    document: ExecutableDocument,
    validated: bool,
}

/// The parsed documents of recent operations.
#[derive(Default)]
pub struct ParsedDocuments(Mutex<IndexMap<String, Known>>);

impl ParsedDocuments {
    /// Gives `request` its parsed document, from the cache or parsed now (and kept); returns
    /// whether that document passed the full validation before.
    pub fn prepare(&self, request: &mut Request) -> bool {
        if request.query.len() > MAX_OPERATION_BYTES {
            return false;
        }
        if let Some(known) = self.documents().get(&request.query) {
            request.set_parsed_query(known.document.clone());
            return known.validated;
        }
        let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
            return false;
        };
        request.set_parsed_query(document.clone());
        let mut documents = self.documents();
        if documents.len() >= MAX_DOCUMENTS {
            documents.shift_remove_index(0);
        }
        let known = Known {
            document,
            validated: false,
        };
        documents.insert(request.query.clone(), known);
        false
    }

    /// Records that the document of `query` passed the full validation.
    pub fn validated(&self, query: &str) {
        if let Some(known) = self.documents().get_mut(query) {
            known.validated = true;
        }
    }

    /// How many documents are kept.
    pub fn len(&self) -> usize {
        self.documents().len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn documents(&self) -> std::sync::MutexGuard<'_, IndexMap<String, Known>> {
        // A panic while holding the lock leaves a usable map behind.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_what_parses_up_to_a_bound() {
        let documents = ParsedDocuments::default();
        let mut request = Request::new("{ a }");
        assert!(!documents.prepare(&mut request));
        documents.validated("{ a }");
        documents.validated("{ never seen }");
        assert!(documents.prepare(&mut Request::new("{ a }")));
        assert_eq!(documents.len(), 1);
        assert!(request.parsed_query().is_ok());

        documents.prepare(&mut Request::new("{ a "));
        documents.prepare(&mut Request::new(format!(
            "{{ {} }}",
            "a ".repeat(MAX_OPERATION_BYTES)
        )));
        assert_eq!(
            documents.len(),
            1,
            "neither an error nor a long text is kept"
        );

        for n in 0..MAX_DOCUMENTS + 5 {
            documents.prepare(&mut Request::new(format!("{{ a{n} }}")));
        }
        assert_eq!(documents.len(), MAX_DOCUMENTS);
        assert!(
            !documents.documents().contains_key("{ a }"),
            "the oldest went first"
        );
    }
}
