use super::*;

fn wrap(kind: Kind, s: &str) -> String {
    let (open, close) = kind.sentinels();
    format!("{open}{s}{close}")
}

fn b(s: &str) -> String {
    wrap(Kind::Bold, s)
}

fn i(s: &str) -> String {
    wrap(Kind::Italic, s)
}

fn r(s: &str) -> String {
    resolve(s, None, None)
}

#[test]
fn valid_emphasis_is_written_as_is() {
    assert_eq!(r(&format!("中{}字", b("文"))), "中**文**字");
    assert_eq!(r(&format!("a {} c", i("b"))), "a *b* c");
    assert_eq!(r(&b("“刘峰：我有些饿。")), "**“刘峰：我有些饿。**");
    assert_eq!(r("no markers"), "no markers");
}

#[test]
fn adjacent_runs_merge() {
    assert_eq!(
        r(&format!("{}{}", b("DeepSeek“"), b("上车”"))),
        "**DeepSeek“上车”**"
    );
    assert_eq!(
        r(&format!("{}{}", b("“"), b("刘峰：我有些饿。"))),
        "**“刘峰：我有些饿。**"
    );
    // Nested bold in bold is one bold.
    assert_eq!(r(&b(&format!("a {} c", b("b")))), "**a b c**");
}

#[test]
fn edge_punctuation_moves_outside() {
    assert_eq!(r(&format!("{}政府", b("李金泽："))), "**李金泽**：政府");
    assert_eq!(r(&format!("他说{}然后", b("“很好”"))), "他说“**很好**”然后");
    assert_eq!(r(&format!("The {}100", b("price:"))), "The **price**:100");
    assert_eq!(r(&format!("a{}c", i("(b)"))), "a(*b*)c");
}

#[test]
fn emphasis_without_a_valid_placement_is_dropped() {
    assert_eq!(r(&format!("{}The course", b("\""))), "\"The course");
    assert_eq!(r(&format!("x{}y", b("。"))), "x。y");
    assert_eq!(r(&format!("a{}b", b("   "))), "a   b");
}

#[test]
fn whitespace_moves_outside() {
    assert_eq!(r(&format!("a{}c", b(" b "))), "a **b** c");
}

#[test]
fn symbols_are_placed_for_both_commonmark_readings() {
    // `©` is punctuation for CommonMark 0.31, a letter for 0.30: `**x©**b` works in one only.
    assert_eq!(r(&format!("{}b", b("x©"))), "**x**©b");
    assert_eq!(r(&format!("a{}b", b("©"))), "a©b");
}

#[test]
fn nesting_that_touches() {
    assert_eq!(r(&b(&i("both"))), "***both***");
    assert_eq!(r(&format!("{}后", b(&i("both")))), "***both***后");
    // `***x* y**` renders, but a run of three can pair with the wrong marker, so the inner
    // emphasis goes unless punctuation can separate the markers.
    assert_eq!(r(&b(&format!("{} y", i("x")))), "**x y**");
    assert_eq!(r(&i(&format!("x {}", b("y")))), "*x y*");
    assert_eq!(r(&b(&format!("{} y", i("“x”")))), "**“*x*” y**");
    assert_eq!(r(&i(&format!("{}道{}", b("道"), b("a")))), "*道道a*");
    // A run that would close one and open another is refused: one of them goes.
    let out = r(&format!("{}{}", b("a"), i("b")));
    assert!(out == "**a**b" || out == "a*b*", "{out}");
}

#[test]
fn atoms_are_never_split() {
    let link = format!("{ATOM_OPEN}[x](https://e.example/a){ATOM_CLOSE}");
    assert_eq!(r(&b(&link)), "**[x](https://e.example/a)**");
    // Preceded by a letter, `**[` cannot open and the link cannot move: the bold goes.
    assert_eq!(r(&format!("a{}", b(&link))), "a[x](https://e.example/a)");
}

#[test]
fn context_characters_count() {
    assert_eq!(resolve(&b("“x”"), Some('['), Some(']')), "**“x”**");
    assert_eq!(resolve(&b("x"), Some('a'), Some('b')), "**x**");
}

#[test]
fn escapes_are_one_unit() {
    assert_eq!(r(&format!("{}a", b("x\\*"))), "**x**\\*a");
}
