"""Drives an offer page (dcsite report of a `dcsite offer` folder) in headless
Chromium through WebDriver (Debian's chromium-driver, selenium from the test
venv): moves the level slider with the keyboard to every level, reads every
number of the page at each, drags it to the last level with the mouse, then
switches to print media. Prints one JSON object; the Rust test compares it
with offer.csv. Usage: python offer_driver.py PAGE.html
"""
import json
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

READ = """
var out = {numbers: {}, sites: {}, cursors: [], current: []};
document.querySelectorAll('[id^="v-"]').forEach(function (e) {
  out.numbers[e.id] = [e.textContent, e.getAttribute('data-value')];
});
document.querySelectorAll('circle[id^="site-"]').forEach(function (c) {
  out.sites[c.id.slice(5)] = [parseFloat(c.getAttribute('r')), c.getAttribute('class'),
                              c.querySelector('title').textContent];
});
document.querySelectorAll('line.cursor').forEach(function (c) {
  out.cursors.push(parseFloat(c.getAttribute('x1')));
});
document.querySelectorAll('#levels-table tbody tr').forEach(function (r, k) {
  if (r.className === 'current') { out.current.push(k); }
});
out.slider = document.getElementById('level-slider').value;
out.valuetext = document.getElementById('level-slider').getAttribute('aria-valuetext');
return out;
"""


def main():
    page = sys.argv[1]
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1200,1600",
    ]:
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    drv = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    try:
        drv.get("file://" + page)
        slider = drv.find_element(By.ID, "level-slider")
        out = {"initial": drv.execute_script(READ), "steps": []}
        n = int(slider.get_attribute("max")) + 1
        slider.send_keys(Keys.HOME)
        out["steps"].append(drv.execute_script(READ))
        for _ in range(n - 1):
            slider.send_keys(Keys.ARROW_RIGHT)
            out["steps"].append(drv.execute_script(READ))
        # Back to the first with the keyboard, then a mouse click at the
        # slider's right end: the last level.
        slider.send_keys(Keys.HOME)
        width = slider.size["width"]
        ActionChains(drv).move_to_element_with_offset(slider, width // 2 - 2, 0).click().perform()
        out["clicked_end"] = drv.execute_script(READ)
        # The page as printed: print media, the state the slider left.
        drv.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        out["print"] = {
            "table_shown": drv.find_element(By.ID, "levels-table").is_displayed(),
            "slider_shown": slider.is_displayed(),
            "map_shown": drv.find_element(By.ID, "offer-map").is_displayed(),
            "state": drv.execute_script(READ),
            "pdf_bytes": len(drv.print_page()),
        }
        requests = []
        for entry in drv.get_log("performance"):
            msg = json.loads(entry["message"])["message"]
            if msg.get("method") == "Network.requestWillBeSent":
                requests.append(msg["params"]["request"]["url"])
        out["requests"] = requests
        print(json.dumps(out))
    finally:
        drv.quit()


if __name__ == "__main__":
    main()
