"""HTML of the simulated site's pages: listing, the two article templates, non-article pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape

from wiresim.articles import Paragraph, SiteArticle
from wiresim.vocabulary import MONTHS

LISTING_NODE = "node_7075238"
LISTING_SECTION = "world"
ITEMS_PER_LISTING_PAGE = 50

FOLLOW_TEXT = "Follow China.org.cn on Twitter and Facebook to join the conversation."
APP_TEXT = "ChinaNews App Download"
APP_PROPERTY_PREFIX = "appproperty: "

_DOCTYPE = (
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
    '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
    '<html xmlns="http://www.w3.org/1999/xhtml">\n<head>\n'
    '<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />\n'
)
_ASSETS = (
    '<link href="http://images.china.cn/images1/ch/2009cs/css/style.css" rel="stylesheet" type="text/css" />\n'
    '<script type="text/javascript" src="http://images.china.cn/images1/ch/2009cs/js/fontzoom.js"></script>\n'
)
_FOOTER = (
    '<div id="footer">Copyright &copy; China.org.cn. All Rights Reserved E-mail: webmaster@china.org.cn '
    "Tel: 86-10-88828000</div>\n</body>\n</html>\n"
)
_FONT_SIZE = (
    '<span class="fontsize">Adjust font size: <a href="javascript:doZoom(16)">A</a> '
    '<a href="javascript:doZoom(14)">A</a> <a href="javascript:doZoom(12)">A</a></span>'
)
_MOST_VIEWED = (
    "Photos: Winter scenery of snow-covered villages",
    "China's online retail sales keep steady growth",
    "Graphics: How the new five-year plan shapes the economy",
    "Young entrepreneurs return to their hometowns",
    "Giant pandas enjoy snowy day at research base",
)


def e(text: str) -> str:
    """Escape text the way the site does (`&#x27;` for apostrophes)."""
    return escape(text, quote=True)


def _top(base: str) -> str:
    return (
        f'<div id="top"><a href="{base}/"><img src="http://images.china.cn/images1/ch/2009cs/logo.gif" alt="China.org.cn" /></a>\n'
        f'  <ul class="nav"><li><a href="{base}/china/node_7075073.htm">China</a></li>'
        f'<li><a href="{base}/world/node_7075229.htm">World</a></li>'
        f'<li><a href="{base}/business/node_7074857.htm">Business</a></li></ul>\n'
        "</div>\n"
    )


def long_date(day: dt.date, *, pad: bool) -> str:
    """`December 23, 2020`; `December 03, 2020` with pad."""
    return (
        f"{MONTHS[day.month - 1]} {day.day:02d}, {day.year}"
        if pad
        else f"{MONTHS[day.month - 1]} {day.day}, {day.year}"
    )


def listing_path(page: int) -> str:
    suffix = "" if page == 1 else f"_{page}"
    return f"/{LISTING_SECTION}/{LISTING_NODE}{suffix}.htm"


def paragraph_html(paragraph: Paragraph, *, image_src: str = "", wrap: bool = False) -> str:
    """One body paragraph; `wrap` breaks the source line once, as hand-edited copy often is."""
    text = paragraph.text
    role = paragraph.role
    if role == "subhead":
        return f"<p><strong>{e(text)}</strong></p>"
    if role == "image":
        return f'<p align="center"><img src="{e(image_src)}" border="0" alt="" /></p>'
    if role == "empty":
        return "<p>&nbsp;</p>"
    if role == "leak":
        return _leak_html(text)
    if role == "photo":
        return f'<p align="center">{e(text)}</p>'
    body = e(text)
    if wrap and len(body) > 160:
        cut = body.find(". ", 80)
        if cut > 0:
            body = body[: cut + 1] + "\n" + body[cut + 2 :]
    return f"<p>{body}</p>"


def _leak_html(text: str) -> str:
    if text == FOLLOW_TEXT:
        return (
            '<p>Follow China.org.cn on <a href="https://twitter.com/chinaorgcn" target="_blank">Twitter</a> and '
            '<a href="https://www.facebook.com/chinaorgcn" target="_blank">Facebook</a> to join the conversation.</p>'
        )
    if text == APP_TEXT:
        return '<p><img src="http://images.china.cn/images1/ch/appdown.jpg" alt="" /><br />ChinaNews App Download</p>'
    # The residue of a broken comment: the opening got lost, the payload shows as text.
    return f"<p><!-- app begin -->{e(text)}</p>"


def body_html(
    paragraphs: Sequence[Paragraph], *, content_id: int, image_dir: str, wrap: bool
) -> str:
    """The container's inner HTML, between the CMS's enpcontent markers."""
    parts = [
        paragraph_html(
            p,
            image_src=f"{image_dir}/{content_id}_{index}.jpg",
            wrap=wrap and (content_id + index) % 5 == 0,
        )
        for index, p in enumerate(paragraphs)
    ]
    return "<!--enpcontent-->" + "\n".join(parts) + "<!--/enpcontent-->"


def sidebar_page(
    *,
    base: str,
    title: str,
    keywords: Sequence[str],
    published: dt.date,
    sidebar: Sequence[tuple[str, str]],
    body: str,
) -> str:
    """The sidebar variant, byte for byte the layout of shared/pages/seed-2020-12-23.html."""
    items = "".join(
        f'          <li><a href="{e(url)}" target="_blank">{e(headline)}</a></li>\n'
        for url, headline in sidebar
    )
    return (
        _DOCTYPE
        + f"<title>{e(title)} - China.org.cn</title>\n"
        + f'<meta name="keywords" content="{e(", ".join(keywords))}" />\n'
        + _ASSETS
        + "</head>\n<body>\n"
        + _top(base)
        + '<div class="wrapper">\n'
        '  <div class="rightcol">\n'
        '    <div class="offwire">\n'
        "      <h3>Off the wire</h3>\n"
        "      <ul>\n" + items + "      </ul>\n"
        "    </div>\n"
        "  </div>\n"
        '  <div class="leftcol">\n'
        f'    <div class="crumb">You are here: &nbsp; <a href="{base}/">News</a>/</div>\n'
        f'    <h1 id="title">{e(title)}</h1>\n'
        f'    <dl id="guild"><dd>Xinhua,{long_date(published, pad=True)} {_FONT_SIZE}</dd></dl>\n'
        '    <div class="apDiv1">\n'
        '      <div id="container_txt">\n'
        f"{body}\n"
        "      </div>\n"
        "    </div>\n"
        '    <div class="share">Print E-mail Bookmark and Share</div>\n'
        "  </div>\n"
        "</div>\n" + _FOOTER
    )


def standard_page(
    *,
    base: str,
    article: SiteArticle,
    body: str,
    furniture_inside: bool,
) -> str:
    """The standard template; `furniture_inside` when the follow/app blocks leaked into the body."""
    section_node = "node_7075073" if article.section == "china" else "node_7075229"
    outside = (
        ""
        if furniture_inside
        else (
            f'  <div class="follow">{_leak_html(FOLLOW_TEXT)}</div>\n'
            f'  <div class="appdown"><a href="{base}/app/">{_leak_html(APP_TEXT)}</a></div>\n'
        )
    )
    page_url = e(base + article.path)
    return (
        _DOCTYPE
        + f"<title>{e(article.title or article.listing_title)} - China.org.cn</title>\n"
        + f'<meta name="keywords" content="{e(", ".join(article.keywords))}" />\n'
        + _ASSETS
        + f'<script type="text/javascript">var contentid = "{article.content_id}";</script>\n'
        + "</head>\n<body>\n"
        + _top(base)
        + '<div class="wrapper">\n'
        f'  <div class="crumb"><a href="{base}/">Home</a> / <a href="{base}/{article.section}/{section_node}.htm">'
        f"{article.section.capitalize()}</a> / "
        f'<a href="{base}{listing_path(1)}">Off the Wire</a></div>\n'
        f'  <h1 id="title">{e(article.title)}</h1>\n'
        '  <dl id="guild"><dd><a href="#comment"><font id="pinglun">0</font> Comment(s)</a>'
        '<a href="javascript:window.print()">Print</a> <a href="javascript:sendmail()">E-mail</a> '
        f"Xinhua, {long_date(article.published_date, pad=False)} {_FONT_SIZE}</dd></dl>\n"
        '  <div class="apDiv1">\n'
        '    <div id="container_txt">\n'
        f"{body}\n"
        "    </div>\n"
        "  </div>\n"
        + outside
        + f'  <div class="share">Share: <a href="https://www.facebook.com/sharer.php?u={page_url}">Facebook</a> '
        f'<a href="https://twitter.com/share?url={page_url}">Twitter</a> '
        f'<a href="https://service.weibo.com/share/share.php?url={page_url}">Weibo</a></div>\n'
        '  <div id="comment"><h4>Comment(s)</h4>\n'
        f'    <form action="{base}/comment/post.php" method="post"><input type="hidden" name="contentid" '
        f'value="{article.content_id}" /><textarea name="content" rows="5" cols="60"></textarea><br />'
        'Name: <input type="text" name="name" /> <input type="submit" value="Submit" /></form>\n'
        '    <p class="note">Your comment will be displayed after it has been approved.</p></div>\n'
        "</div>\n" + _FOOTER
    )


def gallery_page(*, base: str, article: SiteArticle, captions: Sequence[str]) -> str:
    """A photo gallery served under an article URL: no h1#title, no #container_txt."""
    pictures = "".join(
        f'    <div class="pic"><img src="http://images.china.cn/site1007/{article.page_date:%Y-%m/%d}/'
        f'{article.content_id}_{index + 1}.jpg" alt="" /><div class="pic_caption">{e(caption)}</div></div>\n'
        for index, caption in enumerate(captions)
    )
    return (
        _DOCTYPE
        + f"<title>{e(article.listing_title)} - China.org.cn</title>\n"
        + _ASSETS
        + "</head>\n<body>\n"
        + _top(base)
        + '<div class="wrapper">\n'
        f'  <div class="crumb"><a href="{base}/">Home</a> / <a href="{base}/photos/node_7075263.htm">Photos</a></div>\n'
        '  <div class="photo_gallery">\n'
        f'    <h2 class="gallery_title">{e(article.listing_title)}</h2>\n'
        + pictures
        + f'    <div class="gallery_nav"><a href="#prev">Previous</a> 1/{len(captions)} <a href="#next">Next</a></div>\n'
        "  </div>\n"
        "</div>\n" + _FOOTER
    )


def error_page(*, base: str) -> str:
    """The CMS's error page, served with status 200 under an article URL."""
    return (
        _DOCTYPE
        + "<title>China.org.cn</title>\n"
        + "</head>\n<body>\n"
        + _top(base)
        + '<div class="wrapper">\n'
        '  <div class="error"><h2>Sorry, the page you requested is temporarily unavailable.</h2>\n'
        f'  <p>Please try again later or return to the <a href="{base}/">homepage</a>.</p></div>\n'
        "</div>\n" + _FOOTER
    )


def listing_page(
    *,
    base: str,
    page: int,
    pages: int,
    items: Sequence[tuple[str, str, dt.datetime]],
    most_viewed: Sequence[str],
) -> str:
    """One page of the Off the Wire listing: (url, title, listed at) items, newest first."""
    rows = "".join(
        f'        <li><a href="{e(url)}">{e(title)}</a> <span>{listed:%Y-%m-%d %H:%M}</span></li>\n'
        for url, title, listed in items
    )
    numbers = " ".join(
        f"<span>{n}</span>" if n == page else f'<a href="{base}{listing_path(n)}">{n}</a>'
        for n in range(1, pages + 1)
    )
    viewed = "".join(
        f'        <li><a href="{e(url)}">{e(headline)}</a></li>\n'
        for url, headline in zip(most_viewed, _MOST_VIEWED, strict=False)
    )
    return (
        _DOCTYPE
        + "<title>Off the Wire - China.org.cn</title>\n"
        + _ASSETS
        + "</head>\n<body>\n"
        + _top(base)
        + '<div class="wrapper">\n'
        f'  <div class="crumb">You are here: <a href="{base}/">Home</a> / '
        f'<a href="{base}/world/node_7075229.htm">World</a> / Off the Wire</div>\n'
        '  <div class="leftcol">\n'
        '    <h2 class="coltitle">Off the Wire</h2>\n'
        '    <div class="columns1">\n'
        "      <ul>\n" + rows + "      </ul>\n"
        f'      <div id="autopage"><center>{numbers}</center></div>\n'
        "    </div>\n"
        "  </div>\n"
        '  <div class="rightcol">\n'
        '    <div class="mostviewed"><h3>Most Viewed</h3>\n'
        "      <ul>\n" + viewed + "      </ul>\n"
        "    </div>\n"
        "  </div>\n"
        "</div>\n" + _FOOTER
    )


def not_found_page() -> str:
    return (
        _DOCTYPE + "<title>404 Not Found</title>\n</head>\n<body>\n<h1>Not Found</h1>\n"
        "<p>The requested URL was not found on this server.</p>\n</body>\n</html>\n"
    )


ROBOTS_TXT = "User-agent: *\nDisallow:\n"
