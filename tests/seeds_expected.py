"""What ../shared/guide/seeds.md says of the seed pages, shared by the seed tests."""

TITLES = {
    "A1": "Sadr Calls for International Support to 'Exit Sectarian Tunnel'",
    "A2": "Syrian Police Impose Curfew in Homs after Unrest",
    "A3": "Witkoff Says US Expects Phase Two of Israel-Hamas Ceasefire Deal to Proceed",
    "A4": "Al-Sadr’s Office Denied Cooperation With US Over Iraq’s Parliamentary Election",
    "A5": "Sadr: No Dialogue with the Corrupt, Expect our Next Move",
    "A6": "Iranian Militias Barred from Entering 'Seven Villages' Area in Syria's Deir Ezzor",
    "A7": "US, Iraq Agree to Redeploy Coalition Forces",
}
