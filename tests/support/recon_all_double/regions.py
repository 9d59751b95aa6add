"""The hemispheres and the parcellations' region names, as FreeSurfer 7.3.2 has them."""

from __future__ import annotations

HEMIS = ("lh", "rh")


def words(text: str) -> list[str]:
    return text.split()


DK = words(
    "bankssts caudalanteriorcingulate caudalmiddlefrontal cuneus entorhinal fusiform "
    "inferiorparietal inferiortemporal isthmuscingulate lateraloccipital "
    "lateralorbitofrontal lingual medialorbitofrontal middletemporal parahippocampal "
    "paracentral parsopercularis parsorbitalis parstriangularis pericalcarine postcentral "
    "posteriorcingulate precentral precuneus rostralanteriorcingulate rostralmiddlefrontal "
    "superiorfrontal superiorparietal superiortemporal supramarginal frontalpole "
    "temporalpole transversetemporal insula"
)
# (id, name): FreeSurferColorLUT's ctx-lh-<name> is 1000 + id; 1004 (corpuscallosum) is unused.
DK_IDS = [(i + (i > 3), name) for i, name in enumerate(DK, start=1)]
DKT = [name for name in DK if name not in ("bankssts", "frontalpole", "temporalpole")]
DESTRIEUX = words(
    "G_and_S_frontomargin G_and_S_occipital_inf G_and_S_paracentral G_and_S_subcentral "
    "G_and_S_transv_frontopol G_and_S_cingul-Ant G_and_S_cingul-Mid-Ant "
    "G_and_S_cingul-Mid-Post G_cingul-Post-dorsal G_cingul-Post-ventral G_cuneus "
    "G_front_inf-Opercular G_front_inf-Orbital G_front_inf-Triangul G_front_middle "
    "G_front_sup G_Ins_lg_and_S_cent_ins G_insular_short G_occipital_middle "
    "G_occipital_sup G_oc-temp_lat-fusifor G_oc-temp_med-Lingual G_oc-temp_med-Parahip "
    "G_orbital G_pariet_inf-Angular G_pariet_inf-Supramar G_parietal_sup G_postcentral "
    "G_precentral G_precuneus G_rectus G_subcallosal G_temp_sup-G_T_transv "
    "G_temp_sup-Lateral G_temp_sup-Plan_polar G_temp_sup-Plan_tempo G_temporal_inf "
    "G_temporal_middle Lat_Fis-ant-Horizont Lat_Fis-ant-Vertical Lat_Fis-post "
    "Pole_occipital Pole_temporal S_calcarine S_central S_cingul-Marginalis "
    "S_circular_insula_ant S_circular_insula_inf S_circular_insula_sup "
    "S_collat_transv_ant S_collat_transv_post S_front_inf S_front_middle S_front_sup "
    "S_interm_prim-Jensen S_intrapariet_and_P_trans S_oc_middle_and_Lunatus "
    "S_oc_sup_and_transversal S_occipital_ant S_oc-temp_lat S_oc-temp_med_and_Lingual "
    "S_orbital_lateral S_orbital_med-olfact S_orbital-H_Shaped S_parieto_occipital "
    "S_pericallosal S_postcentral S_precentral-inf-part S_precentral-sup-part "
    "S_suborbital S_subparietal S_temporal_inf S_temporal_sup S_temporal_transverse"
)
BA = words(
    "BA1_exvivo BA2_exvivo BA3a_exvivo BA3b_exvivo BA4a_exvivo BA4p_exvivo BA6_exvivo "
    "BA44_exvivo BA45_exvivo V1_exvivo V2_exvivo MT_exvivo perirhinal_exvivo "
    "entorhinal_exvivo"
)
VPNL = [f"{n}.mpm.vpnl" for n in words("FG1 FG2 FG3 FG4 hOc1 hOc2 hOc3v hOc4v")]
PARCS = {  # stats writer -> (region names, annotation, colortable, surface)
    "aparc": (DK, "../label/{h}.aparc.annot", "../label/aparc.annot.ctab", "white"),
    "aparc.pial": (DK, "../label/{h}.aparc.annot", "../label/aparc.annot.ctab", "pial"),
    "aparc.a2009s": (
        DESTRIEUX,
        "../label/{h}.aparc.a2009s.annot",
        "../label/aparc.annot.a2009s.ctab",
        "white",
    ),
    "aparc.DKTatlas": (
        DKT,
        "../label/{h}.aparc.DKTatlas.annot",
        "../label/aparc.annot.DKTatlas.ctab",
        "white",
    ),
    "BA_exvivo": (BA, "./{h}.BA_exvivo.annot", "./BA_exvivo.ctab", "white"),
    "BA_exvivo.thresh": (
        BA,
        "./{h}.BA_exvivo.thresh.annot",
        "./BA_exvivo.thresh.ctab",
        "white",
    ),
}
