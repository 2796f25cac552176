//! The import-cycle check on small synthetic crates.

use super::*;

fn file(path: &str, source: &str) -> SourceFile {
    SourceFile {
        display: path.to_owned(),
        module: module_of(Path::new(path)),
        source: source.to_owned(),
    }
}

fn cycles_of(files: &[SourceFile]) -> Vec<Vec<String>> {
    find_cycles(files)
        .into_iter()
        .map(|cycle| cycle.files)
        .collect()
}

#[test]
fn literals_and_comments_are_blanked_and_lifetimes_kept() {
    let source = "let a = \"x // y\"; // crate::gone\nlet b = r#\"crate::raw\"#; /* crate::\n */ \
                  let c = '\\''; fn f<'a>(x: &'a str) -> char { 'x' }";
    let blank = blank_literals(source);
    assert_eq!(blank.chars().count(), source.chars().count());
    assert!(!blank.contains("crate::"), "{blank}");
    assert!(blank.contains("fn f<'a>(x: &'a str)"), "{blank}");
    assert_eq!(blank.matches('\n').count(), source.matches('\n').count());
}

#[test]
fn two_siblings_that_import_each_other_are_a_cycle() {
    let files = [
        file("lib.rs", "mod a;\nmod b;\n"),
        file("a.rs", "use crate::b::Thing;\npub struct Other;\n"),
        file("b.rs", "pub struct Thing;\nfn f() { crate::a::Other; }\n"),
    ];
    let found = find_cycles(&files);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].files, ["a.rs", "b.rs"]);
    assert_eq!(
        found[0].edges,
        [
            ("a.rs".to_owned(), "b.rs".to_owned()),
            ("b.rs".to_owned(), "a.rs".to_owned())
        ]
    );
}

#[test]
fn a_module_and_its_parent_are_one_facade() {
    let files = [
        file("lib.rs", "pub mod values;\n"),
        file(
            "values/mod.rs",
            "mod email;\npub use email::Email;\npub struct ValidationError;\n",
        ),
        file(
            "values/email.rs",
            "use super::ValidationError;\npub struct Email;\n",
        ),
    ];
    assert!(cycles_of(&files).is_empty());
}

#[test]
fn a_name_imported_through_a_re_export_counts_for_the_file_that_defines_it() {
    let files = [
        file(
            "lib.rs",
            "mod a;\nmod b;\nmod c;\npub use b::{Thing as Renamed};\npub use c::*;\n",
        ),
        file(
            "a.rs",
            "use crate::Renamed;\nuse crate::Globbed;\npub struct A;\n",
        ),
        file("b.rs", "pub struct Thing;\n"),
        file("c.rs", "pub struct Globbed;\nuse crate::a::A;\n"),
    ];
    assert_eq!(cycles_of(&files), [["a.rs", "c.rs"]]);
}

#[test]
fn test_modules_inline_or_in_files_are_not_counted() {
    let files = [
        file(
            "lib.rs",
            "mod a;\nmod b;\n#[cfg(test)]\nmod tests {\n    use crate::a::A;\n}\n",
        ),
        file(
            "a.rs",
            "use crate::b::B;\npub struct A;\n#[cfg(test)]\nmod tests {\n    use crate::b::B;\n}\n",
        ),
        file(
            "b.rs",
            "pub struct B;\n#[cfg(test)]\nmod tests {\n    use crate::a::A;\n}\n",
        ),
    ];
    assert!(cycles_of(&files).is_empty());
    assert_eq!(
        test_module_files(
            Path::new("src/x.rs"),
            "#[cfg(test)]\n#[path = \"x_tests.rs\"]\nmod tests;\n#[cfg(test)]\nmod more;\nmod real;"
        ),
        [PathBuf::from("x_tests.rs"), PathBuf::from("x/more.rs")]
    );
}

#[test]
fn an_inline_module_resolves_super_from_inside_itself() {
    let files = [
        file("lib.rs", "mod a;\nmod b;\n"),
        file(
            "a.rs",
            "pub struct A;\npub mod inner {\n    use super::A;\n    use crate::b::B;\n}\n",
        ),
        file("b.rs", "pub struct B;\n"),
    ];
    assert!(cycles_of(&files).is_empty());
    let mut with_back_edge = files.to_vec();
    with_back_edge[2] = file("b.rs", "pub struct B;\nuse crate::a::A;\n");
    assert_eq!(cycles_of(&with_back_edge), [["a.rs", "b.rs"]]);
}
