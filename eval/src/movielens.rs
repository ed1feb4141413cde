//! MovieLens-100k as RecBole ships it (`ml-100k.inter`: user, item, rating, timestamp;
//! `ml-100k.item`: item, title, release year, genres; tab-separated, one header line).
//!
//! Every rating is an interaction (implicit feedback: the user watched the movie) and a review
//! (the quality prior); the whole catalog is known from the start; a movie's text is its
//! title, year and genres.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, bail};
use recommend::Kind;

use crate::dataset::{Dataset, Event, Item, interned};

/// Reads `ml-100k.inter` and `ml-100k.item` from `dir`.
pub fn load(dir: &Path) -> anyhow::Result<Dataset> {
    let read = |name: &str| -> anyhow::Result<String> {
        let path = dir.join(name);
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        // A few titles are Latin-1; they only feed the embeddings.
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    };
    parse(&read("ml-100k.item")?, &read("ml-100k.inter")?)
}

/// Parses the two files' contents.
pub fn parse(item_file: &str, inter_file: &str) -> anyhow::Result<Dataset> {
    let mut movies = Vec::new();
    for (n, line) in item_file.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [id, title, year, genres, ..] = fields[..] else {
            bail!("ml-100k.item line {}: expected 4 fields", n + 1);
        };
        let genres: Vec<String> = genres.split_whitespace().map(str::to_owned).collect();
        let year = year.trim();
        let text = match year.is_empty() {
            true => format!("{title}. Genres: {}.", genres.join(", ")),
            false => format!("{title} ({year}). Genres: {}.", genres.join(", ")),
        };
        movies.push(Item {
            id: id.to_owned(),
            label: title.to_owned(),
            text,
            subjects: genres.iter().map(|g| g.to_lowercase()).collect(),
            level: None,
        });
    }
    let mut ratings = Vec::new();
    for (n, line) in inter_file.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [user, item, rating, at, ..] = fields[..] else {
            bail!("ml-100k.inter line {}: expected 4 fields", n + 1);
        };
        let bad = || format!("ml-100k.inter line {}", n + 1);
        let rating: f64 = rating.parse().with_context(bad)?;
        let at: f64 = at.parse().with_context(bad)?;
        ratings.push((
            at as i64,
            user.to_owned(),
            item.to_owned(),
            rating.round() as i64,
        ));
    }
    // Time order; ties keep the file's order (a stable sort).
    ratings.sort_by_key(|r| r.0);

    movies.sort_by(|a, b| a.id.cmp(&b.id));
    let item_index: HashMap<String, usize> = movies
        .iter()
        .enumerate()
        .map(|(i, m)| (m.id.clone(), i))
        .collect();
    let (users, user_index) = interned(ratings.iter().map(|r| r.1.clone()).collect());
    let mut events: Vec<Event> = (0..movies.len())
        .map(|item| Event::Published { item })
        .collect();
    for (_, user, item, rating) in &ratings {
        let Some(&item) = item_index.get(item) else {
            bail!("ml-100k.inter names movie {item}, absent from ml-100k.item");
        };
        let user = user_index[user];
        events.push(Event::Took { user, item });
        events.push(Event::Reviewed {
            user,
            item,
            rating: *rating,
        });
    }
    Ok(Dataset {
        name: "MovieLens-100k".into(),
        // Movies have a rating but neither a completion rate nor a level: the tutor path's
        // quality prior is the rating alone.
        kind: Some(Kind::Tutor),
        users,
        items: movies,
        events,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_recbole_files_in_time_order() {
        let items = "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n\
                     1\tToy Story\t1995\tAnimation Children's Comedy\n\
                     2\tGoldenEye\t1995\tAction Adventure Thriller\n";
        let inter = "user_id:token\titem_id:token\trating:float\ttimestamp:float\n\
                     7\t2\t3\t200\n\
                     5\t1\t5\t100\n";
        let d = parse(items, inter).expect("parse");
        assert_eq!(d.users, ["5", "7"]);
        assert_eq!(
            d.items[0].text,
            "Toy Story (1995). Genres: Animation, Children's, Comedy."
        );
        assert_eq!(d.items[0].subjects, ["animation", "children's", "comedy"]);
        assert_eq!(
            &d.events[2..4],
            [
                Event::Took { user: 0, item: 0 },
                Event::Reviewed {
                    user: 0,
                    item: 0,
                    rating: 5
                }
            ]
        );
        assert!(parse(items, "h\n1\t99\t3\t1\n").is_err());
    }
}
